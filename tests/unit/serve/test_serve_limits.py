"""The API under slow, many or large clients, against a real ``python -m tuneboard serve`` on 127.0.0.1 with small
limits: connections capped, idle and half-sent requests closed, a fast 503 past the in-flight limits, a keyed
/health and docs, a bounded monitor log. Every loop stops by itself at a deadline."""
from __future__ import annotations

import csv
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT, sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.serve.api import add_api_key
from tuneboard.serve.monitor import log_path
from tuneboard.train.pipeline import execute

LIMITS = ["--max-connections", "20", "--timeout", "1", "--keep-alive", "1", "--max-in-flight", "2",
          "--max-in-flight-bytes", "300000", "--max-body-bytes", "200000", "--keep-rows", "30"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float = 60, what: str = ""):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up after {seconds} s waiting for {what}")


def call(url: str, path: str, body: dict | None = None, key: str | None = None, timeout: float = 10):
    """(status, headers, parsed body) of one request; an error status is an answer too."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {key}"} if key else {})
    req = urllib.request.Request(url + path, data=json.dumps(body).encode() if body is not None else None,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw, status, head = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        raw, status, head = e.read(), e.code, e.headers
    try:
        return status, head, json.loads(raw)
    except ValueError:
        return status, head, raw.decode("utf-8", "replace")


def connect(port: int, send: bytes = b"") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    if send:
        s.sendall(send)
    return s


def read_until_closed(s: socket.socket, seconds: float) -> bytes | None:
    """What the server sent before closing ``s``, or None when it was still open after ``seconds``."""
    s.settimeout(seconds)
    got = b""
    try:
        while chunk := s.recv(65536):
            got += chunk
    except (TimeoutError, socket.timeout):
        return None
    except ConnectionResetError:
        pass
    return got


def partial_post(port: int, length: int, key: str) -> socket.socket:
    """A request whose headers arrived and whose body never will: it holds a place in flight."""
    head = (f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {key}\r\nContent-Length: {length}\r\n\r\n").encode()
    return connect(port, head + b'{"inputs": "gre')


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A TF-IDF run served by a real process with small limits and an API key."""
    folder = tmp_path_factory.mktemp("serve-limits")
    data = folder / "sentiment.csv"
    with open(data, "w", newline="") as f:
        csv.writer(f).writerows([("review", "sentiment"), *sentiment_rows(120)])
    run = execute(TrainConfig(data=str(data), model="tfidf", output_dir=str(folder / "runs"))).run.path
    key = add_api_key(folder / "keys.txt", "tests")
    port = free_port()
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "tuneboard", "serve", str(run), "--port", str(port), "--api-keys",
                             str(folder / "keys.txt"), *LIMITS], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "TUNEBOARD_RUNS_DIR": str(folder / "runs"), "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, (folder / "server.log").read_text()
        try:
            return call(url, "/health", timeout=1)[0] == 200
        except OSError:
            return False

    try:
        wait_for(up, 90, "the server to start")
        yield {"url": url, "port": port, "pid": proc.pid, "key": key, "run": Path(run)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_idle_and_half_sent_connections_are_closed_and_a_flood_is_capped_below_the_file_limit(server):
    port, pid = server["port"], server["pid"]
    before = open_files(pid)
    idle = connect(port)
    half = connect(port, b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
    # Both are closed by the server at its 1 s deadline (before, they were held for ever).
    assert read_until_closed(idle, 15) == b"" and read_until_closed(half, 15) == b""
    flood = [connect(port) for _ in range(60)]
    try:
        # 20 connections at most (plus the log's writer at work), well before the held ones' 1 s deadline
        wait_for(lambda: open_files(pid) <= before + 20 + 2, 0.8, "the server to hold 20 connections at most")
        # the held ones are idle: the server drops them at the deadline and answers everyone again
        wait_for(lambda: call(server["url"], "/health", timeout=5)[0] == 200, 30, "/health during the flood")
        answers = [read_until_closed(s, 15) for s in flood]
        assert None not in answers  # every socket closed by the server: over the cap at once, the rest idle
        assert sum(a.startswith(b"HTTP/1.1 503") for a in answers) >= 30  # over the cap: a 503 with Retry-After
    finally:
        for s in flood:
            s.close()
    wait_for(lambda: open_files(pid) <= before + 2, 30, "the flood's sockets to be released")


def test_past_the_in_flight_limits_a_request_gets_a_fast_503_with_retry_after_and_slow_bodies_a_408(server):
    url, port, key = server["url"], server["port"], server["key"]
    in_flight = lambda n: call(url, "/health", key=key)[2]["in_flight"] == n  # noqa: E731
    big = partial_post(port, 190_000, key)  # 190 kB of the 300 kB allowed in flight
    wait_for(lambda: in_flight(1), 30, "the first request in flight")
    status, head, body = call(url, "/predict", {"inputs": "x" * 120_000}, key=key)
    assert status == 503 and head["Retry-After"] == "1" and "Retry-After" in body["error"]  # bytes
    small = partial_post(port, 100, key)
    wait_for(lambda: in_flight(2), 30, "two requests in flight")
    start = time.monotonic()
    status, head, body = call(url, "/predict", {"inputs": "great"}, key=key)
    assert status == 503 and head["Retry-After"] == "1" and time.monotonic() - start < 3  # count, at once
    assert b" 408 " in read_until_closed(big, 15) and b" 408 " in read_until_closed(small, 15)
    assert call(url, "/predict", {"inputs": "great"}, key=key)[0] == 200
    huge = call(url, "/predict", {"inputs": ["great"] * 40_000}, key=key)
    assert huge[0] == 413 and "bytes" in huge[2]["error"]
    assert call(url, "/health", key=key)[2]["refused_busy"] >= 2


def test_without_a_key_health_says_only_ok_and_the_docs_are_closed(server):
    url, key = server["url"], server["key"]
    assert call(url, "/health")[2] == {"status": "ok"}
    full = call(url, "/health", key=key)[2]
    assert full["status"] == "ok" and "run_id" in full and full["log_dropped"] == 0
    for path in ("/docs", "/openapi.json", "/info"):
        assert call(url, path)[0] == 401, path
        assert call(url, path, key=key)[0] == 200, path
    assert "/predict" in call(url, "/openapi.json", key=key)[2]["paths"]


def test_the_server_keeps_only_the_newest_rows_of_the_monitor_log(server):
    url, key = server["url"], server["key"]
    for _ in range(2):
        assert call(url, "/predict", {"inputs": ["great love"] * 40}, key=key)[0] == 200

    def trimmed() -> bool:
        con = sqlite3.connect(f"file:{log_path(server['run'])}?mode=ro", uri=True)
        try:
            count, newest = con.execute("SELECT COUNT(*), MAX(id) FROM predictions").fetchone()
        finally:
            con.close()
        return newest is not None and newest >= 80 and count == 30

    wait_for(trimmed, 30, "the log to be trimmed to 30 rows")
