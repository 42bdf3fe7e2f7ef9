"""The API's limits measured against a real ``python -m tuneboard serve`` on 127.0.0.1, each beside a baseline in
the same run (the same server with its limits lifted: no connection cap, no deadlines, no in-flight limit, which
is how it behaved before them), and the Monitor page's reads at a million logged rows:

1. connections: ``--flood`` idle sockets from one client, the server's file limit set to 1024 (a common default):
   descriptors the server holds, and whether /health answers during the flood;
2. memory under load: ``--clients`` clients each send one ~1 MB body at once: the server's peak RSS, and how long
   a one-text request sent meanwhile takes (and what it gets);
3. Monitor at ``--rows`` rows: time and peak memory of what the page reads, the old way (the whole log into
   pandas) and the new (SQL aggregates, bounded reads), each in a fresh process.

    .venv/bin/python bench/bench_serve_limits.py                   # about two minutes on two cores
    .venv/bin/python bench/bench_serve_limits.py --flood 1100 --clients 200 --rows 1000000

Everything is loopback and every loop has a deadline. Prints the figures and writes bench/results-serve-limits.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
LIFTED = ["--max-connections", "1000000", "--timeout", "1000000", "--keep-alive", "1000000",
          "--max-in-flight", "1000000", "--max-in-flight-bytes", str(10**12)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 5) -> tuple[int | str, float]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            status: int | str = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError as e:
        status = type(e).__name__
    return status, time.perf_counter() - start


def post(url: str, body: bytes, timeout: float = 120) -> tuple[int | str, float]:
    start = time.perf_counter()
    req = urllib.request.Request(url + "/predict", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            r.read()
            status: int | str = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError as e:
        status = type(e).__name__
    return status, time.perf_counter() - start


class Server:
    """``python -m tuneboard serve`` with a 1024 file limit, started and stopped around a measurement."""

    def __init__(self, run: Path, flags: list[str], home: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

        def limit_files() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

        self.proc = subprocess.Popen([sys.executable, "-m", "tuneboard", "serve", str(run), "--port", str(self.port),
                                      *flags], cwd=ROOT, preexec_fn=limit_files, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env={**os.environ, "TUNEBOARD_RUNS_DIR": str(home)})
        deadline = time.monotonic() + 120
        while get(self.url + "/health", 1)[0] != 200:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)

    def files(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def rss_mb(self, field: str = "VmRSS") -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def connections(run: Path, home: Path, flags: list[str], flood: int) -> dict:
    server = Server(run, flags, home)
    try:
        before = server.files()
        socks = []
        for _ in range(flood):
            try:
                socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
            except OSError:
                break
        samples = []
        for _ in range(20):  # the server's descriptors over 2 s: the accept burst, then what it keeps
            samples.append(server.files() - before)
            time.sleep(0.1)
        peak, held = max(samples), samples[-1]
        answered = None
        start = time.monotonic()
        while time.monotonic() - start < 30:  # /health during the flood (sockets held open by the client)
            if get(server.url + "/health", 2)[0] == 200:
                answered = round(time.monotonic() - start, 2)
                break
            time.sleep(0.5)
        for s in socks:
            s.close()
        return {"opened": len(socks), "server_fds_peak": peak, "server_fds_held_at_2s": held,
                "health_answered_after_s": answered}
    finally:
        server.stop()


def memory(run: Path, home: Path, flags: list[str], clients: int) -> dict:
    text = "where is my parcel? it was due last week and nobody answers " * 320  # ~19.5k chars
    body = json.dumps({"inputs": [text] * 50}).encode()  # ~0.98 MB
    server = Server(run, flags, home)
    try:
        idle = server.rss_mb()
        results: list[tuple] = []
        threads = [threading.Thread(target=lambda: results.append(post(server.url, body))) for _ in range(clients)]
        for th in threads:
            th.start()
        time.sleep(0.5)
        one = post(server.url, json.dumps({"inputs": "where is my parcel?"}).encode())
        for th in threads:
            th.join(timeout=600)
        statuses = {str(s): sum(1 for r in results if r[0] == s) for s in {r[0] for r in results}}
        return {"rss_idle_mb": round(idle, 1), "rss_peak_mb": round(server.rss_mb("VmHWM"), 1),
                "rss_after_mb": round(server.rss_mb(), 1), "one_text_status": one[0],
                "one_text_s": round(one[1], 3), "big_requests": statuses}
    finally:
        server.stop()


RSS = """
def rss(field):  # MB; writing 5 to clear_refs resets VmHWM, so the peak is the measured part's alone
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field + ":")) / 1024
"""
PAGE_OLD = """
import sys, time
sys.path.insert(0, {root!r})
{rss}
import numpy as np, pandas as pd
from tuneboard.serve import monitor
open("/proc/self/clear_refs", "w").write("5")
base = rss("VmRSS")
start = time.perf_counter()
log = monitor.read_log({run!r})  # what the page did before: the whole log, then pandas
p50, p95 = np.percentile(log["latency_ms"], [50, 95])
per_minute = pd.to_datetime(log["ts"], unit="s").dt.floor("min").value_counts()
drift = monitor.drift_report(log, pd.DataFrame({{"confidence": [0.9] * 50, "predicted": ["a"] * 50}}), ["a", "b"])
unsure = log[log["text"].notna()].sort_values("confidence").drop_duplicates("text_sha").head(20)
print(time.perf_counter() - start, rss("VmHWM") - base)
"""
PAGE_NEW = """
import sys, time
sys.path.insert(0, {root!r})
{rss}
import pandas as pd
from tuneboard.serve import monitor
from tuneboard.serve import traffic
open("/proc/self/clear_refs", "w").write("5")
base = rss("VmRSS")
start = time.perf_counter()
view = traffic.traffic_view({run!r})
drift = monitor.drift_from_counts(view.rows, view.confidence_hist, view.label_counts,
                                  pd.DataFrame({{"confidence": [0.9] * 50, "predicted": ["a"] * 50}}), ["a", "b"])
unsure = traffic.lowest_confidence({run!r})
print(time.perf_counter() - start, rss("VmHWM") - base)
"""


def monitor_page(folder: Path, rows: int) -> dict:
    import numpy as np

    from tuneboard.serve import monitor

    run = folder / "runs" / "page-run"
    run.mkdir(parents=True)
    log = monitor.PredictionLog(monitor.log_path(run), store_texts=True, flush_s=3600,
                                retention=monitor.Retention(rows=0, days=0))
    rng = np.random.default_rng(0)
    now = time.time()
    for chunk in range(0, rows, 100_000):
        n = min(100_000, rows - chunk)
        conf = rng.uniform(0.5, 1.0, n)
        log.record({"ts": now - 3600 + (chunk + i) * 3600 / rows, "latency_ms": 5.0 + i % 11,
                    "label": "a" if i % 3 else "b", "confidence": float(conf[i]), "text": f"served text {chunk + i}"}
                   for i in range(n))
        log.flush()
    log.close()
    out = {}
    for name, script in (("old", PAGE_OLD), ("new", PAGE_NEW)):
        code = script.format(root=str(ROOT), run=str(run), rss=RSS)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                              env={**os.environ, "TUNEBOARD_RUNS_DIR": str(folder / "runs")})
        seconds, mb = (float(v) for v in done.stdout.split()[-2:])
        out[name] = {"seconds": round(seconds, 2), "peak_extra_mb": round(mb, 1)}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--flood", type=int, default=1100)
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--out", default=str(ROOT / "bench" / "results-serve-limits.json"))
    args = p.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(4096, args.flood + 256),) * 2)
    from tuneboard.config import TrainConfig
    from tuneboard.train.pipeline import execute

    with tempfile.TemporaryDirectory(prefix="bench-serve-limits-") as tmp:
        folder = Path(tmp)
        os.environ["TUNEBOARD_RUNS_DIR"] = str(folder / "runs")
        run = execute(TrainConfig(data=str(ROOT / "examples" / "support_tickets.csv"), model="tfidf")).run.path
        results = {"connections": {}, "memory": {}}
        for name, flags in (("baseline", LIFTED), ("limits", [])):
            results["connections"][name] = connections(run, folder / "runs", flags, args.flood)
            print(f"connections {name}: {results['connections'][name]}", flush=True)
        for name, flags in (("baseline", LIFTED), ("limits", [])):
            results["memory"][name] = memory(run, folder / "runs", flags, args.clients)
            print(f"memory {name}: {results['memory'][name]}", flush=True)
        results["monitor"] = monitor_page(folder, args.rows)
        print(f"monitor at {args.rows:,} rows: {results['monitor']}", flush=True)
    m, page = results["memory"], results["monitor"]
    print(f"ratios: peak RSS {m['baseline']['rss_peak_mb'] / m['limits']['rss_peak_mb']:.2f}x lower with limits; "
          f"one text {m['baseline']['one_text_s'] / max(m['limits']['one_text_s'], 1e-3):.0f}x sooner; "
          f"Monitor {page['old']['seconds'] / max(page['new']['seconds'], 1e-3):.1f}x faster, "
          f"{page['old']['peak_extra_mb'] / max(page['new']['peak_extra_mb'], 0.1):.0f}x less memory")
    Path(args.out).write_text(json.dumps({"args": vars(args), **results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
