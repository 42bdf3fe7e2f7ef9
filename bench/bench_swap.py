"""Model lifecycle benchmark: 16 clients against ``serve --model NAME`` through ten promote / rollback swaps.

A real server process (``python -m tuneboard serve --model bench-router``) serves the production version of a
name; 16 client threads (httpx, one keep-alive connection each, one text per request) call it without pause.
First a steady phase with no swap, then ten swaps made through the registry, as the app or the CLI makes them
(a promotion of version 2, a rollback to 1, and so on); after each swap the bench waits until an answer carries
the new ``X-Model-Version``, then lets the server settle for ``--gap`` seconds. Every request's status, latency
and version is kept.

Prints the failed requests (must be 0), p50 / p99 in the steady phase and during the swaps, and their ratio
(target: within 2x), and writes bench/results-swap.json.

    .venv/bin/python bench/bench_swap.py                     # two bundled-MiniLM runs (trained briefly first)
    .venv/bin/python bench/bench_swap.py --model tfidf       # two TF-IDF runs: seconds
    .venv/bin/python bench/bench_swap.py --runs RUN_A RUN_B  # two finished runs you have
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

NAME = "bench-router"
TEXTS = ["where is my parcel? it is late", "I was charged twice this month", "the app crashes when I log in",
         "please cancel my subscription", "how do I reset my password", "refund for a broken item"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_runs(model: str) -> list[str]:
    from tuneboard.config import TrainConfig
    from tuneboard.train.pipeline import execute

    data = str(ROOT / "examples" / "support_tickets.csv")
    extra = {} if model == "tfidf" else {"preset": "fast", "epochs": 1}
    return [str(execute(TrainConfig(data=data, model=model, seed=seed, run_name=f"swap-{seed}", **extra)).run.path)
            for seed in (0, 1)]


class Client(threading.Thread):
    """One client: POSTs until stopped; keeps (start, latency s, status, version) per request."""

    def __init__(self, url: str, i: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.i, self.stop = url, i, stop
        self.log: list[tuple[float, float, int, str]] = []

    def run(self) -> None:
        import httpx

        with httpx.Client(base_url=self.url, timeout=60) as http:
            n = self.i
            while not self.stop.is_set():
                n += 1
                begin = time.perf_counter()
                try:
                    r = http.post("/predict", json={"inputs": TEXTS[n % len(TEXTS)]})
                    status, version = r.status_code, r.headers.get("X-Model-Version", "")
                except Exception as e:  # noqa: BLE001 -- a failed request is what this bench counts
                    status, version = 0, type(e).__name__
                self.log.append((begin, time.perf_counter() - begin, status, version))


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--swaps", type=int, default=10)
    p.add_argument("--steady", type=float, default=15.0, help="seconds of steady traffic before the swaps")
    p.add_argument("--gap", type=float, default=1.5, help="seconds after a swap is seen before the next one")
    p.add_argument("--model", default="default", help="what the two runs fine-tune: default (bundled) or tfidf")
    p.add_argument("--runs", nargs=2, metavar="RUN", help="two finished runs to serve instead of training two")
    p.add_argument("--output", default=str(ROOT / "bench" / "results-swap.json"))
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-swap-"))
    os.environ["TUNEBOARD_RUNS_DIR"] = os.environ.get("TUNEBOARD_RUNS_DIR") if args.runs else str(work / "runs")
    os.environ["TUNEBOARD_DB"] = str(work / "tuneboard.db")
    from tuneboard.registry import Registry

    runs = args.runs or train_runs(args.model)
    registry = Registry()
    registry.promote(runs[0], NAME, alias="production")
    registry.promote(runs[1], NAME)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tuneboard", "serve", "--model", NAME, "--port", str(port)],
                              cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    clients = [Client(url, i, stop) for i in range(args.clients)]
    try:
        wait_healthy(url, server)
        for c in clients:
            c.start()
        time.sleep(2.0)  # connections open, first batches formed: not part of either phase
        steady_from = time.perf_counter()
        time.sleep(args.steady)
        swaps_from = time.perf_counter()
        seen_after: list[float] = []
        for i in range(args.swaps):
            issued = time.perf_counter()
            if i % 2 == 0:
                registry.set_alias(NAME, 2, "production")
            else:
                registry.rollback(NAME)
            want = f"{NAME}/{2 if i % 2 == 0 else 1}"
            while not any(v == want and s >= issued for c in clients for s, _, _, v in c.log[-50:]):
                time.sleep(0.01)
                assert time.perf_counter() - issued < 120, f"{want} never answered"
            seen_after.append(time.perf_counter() - issued)
            time.sleep(args.gap)
        swaps_to = time.perf_counter()
    finally:
        stop.set()
        for c in clients:
            c.join(timeout=60)
        server.terminate()
        server.wait(timeout=30)
    rows = [r for c in clients for r in c.log]
    failed = [r for r in rows if r[2] != 200]
    steady = [lat for s, lat, st, _ in rows if steady_from <= s < swaps_from and st == 200]
    swapping = [lat for s, lat, st, _ in rows if swaps_from <= s < swaps_to and st == 200]
    result = {"clients": args.clients, "swaps": args.swaps, "model": "given runs" if args.runs else args.model,
              "requests": len(rows), "failed": len(failed), "steady_requests": len(steady),
              "swap_requests": len(swapping), "steady_p50_ms": percentile(steady, 50),
              "steady_p99_ms": percentile(steady, 99), "swap_p50_ms": percentile(swapping, 50),
              "swap_p99_ms": percentile(swapping, 99),
              "steady_rps": len(steady) / (swaps_from - steady_from),
              "swap_rps": len(swapping) / (swaps_to - swaps_from),
              "swap_seen_s_mean": sum(seen_after) / len(seen_after), "swap_seen_s_max": max(seen_after),
              "versions": sorted({r[3] for r in rows if r[2] == 200})}
    result["p99_ratio"] = result["swap_p99_ms"] / result["steady_p99_ms"]
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"failed requests: {len(failed)}; p99 during swaps / steady: {result['p99_ratio']:.2f}x "
          f"({result['swap_p99_ms']:.1f} ms / {result['steady_p99_ms']:.1f} ms)")


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 300.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the server did not start: {server.stderr.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
