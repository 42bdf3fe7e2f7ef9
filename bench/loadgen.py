"""A light HTTP load generator: one asyncio event loop, raw HTTP/1.1 over keep-alive sockets.

Why not urllib in threads (the first version of bench_serve.py): every request opened a new TCP
connection and went through ``http.client`` + the email header parser in one of 16 Python threads
fighting for the GIL -- about a millisecond of client CPU per request, taken from the same 2 cores the
server under test runs on. Here a request is a prebuilt byte string written to an open socket and an
answer is a status line, a ``content-length`` and a body read back: tens of microseconds of client CPU.
Both servers in a benchmark get this same client.

    from loadgen import run_load
    stats = run_load("127.0.0.1", 8000, "/predict", bodies, clients=16, seconds=8)
"""
from __future__ import annotations

import asyncio
import json
import statistics
import time


def request_bytes(host: str, port: int, path: str, body: dict) -> bytes:
    """One keep-alive POST with a JSON body, ready to write to a socket."""
    data = json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + data


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise RuntimeError("response without content-length (chunked answers are not supported here)")
    return status, await reader.readexactly(length)


async def _client(host: str, port: int, requests: list[bytes], k: int, n: int, stop_at: float | None,
                  count: int | None, lat: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    done, i = 0, k
    try:
        while (stop_at is None or time.perf_counter() < stop_at) and (count is None or done < count):
            t0 = time.perf_counter()
            writer.write(requests[i % len(requests)])
            status, body = await _read_response(reader)
            if status != 200:
                raise RuntimeError(f"server answered {status}: {body[:200]!r}")
            lat.append((time.perf_counter() - t0) * 1000)
            done += 1
            i += n
    finally:
        writer.close()
    return done


async def _load(host: str, port: int, requests: list[bytes], clients: int, seconds: float | None,
                count: int | None) -> dict:
    lat: list[float] = []
    stop_at = time.perf_counter() + seconds if seconds else None
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    done = await asyncio.gather(*(_client(host, port, requests, k, clients, stop_at, count, lat)
                                  for k in range(clients)))
    elapsed = time.perf_counter() - t0
    lat.sort()
    return {"clients": clients, "requests": sum(done), "seconds": elapsed, "rps": sum(done) / elapsed,
            "p50_ms": statistics.median(lat), "p95_ms": lat[int(0.95 * (len(lat) - 1))],
            "client_cpu_ms_per_request": (time.process_time() - cpu0) * 1000 / max(sum(done), 1)}


def run_load(host: str, port: int, path: str, bodies: list[dict], clients: int, seconds: float | None = None,
             count: int | None = None) -> dict:
    """``clients`` concurrent keep-alive connections, each sending the next body as soon as its last
    answer came, for ``seconds`` or ``count`` requests per client. Returns rps, p50/p95 latency and the
    client's own CPU per request."""
    requests = [request_bytes(host, port, path, b) for b in bodies]
    return asyncio.run(_load(host, port, requests, clients, seconds, count))
