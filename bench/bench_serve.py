"""Serving benchmark: `tuneboard serve` against a naive server, same model, same machine, same run.

The naive server is what a team writes by hand: FastAPI + ``transformers.pipeline``, one request per
forward pass. Both run as their own process, one after the other (``--rounds N``: N times, in turns), and
get the same client: ``bench/loadgen.py``, one asyncio loop on keep-alive sockets, ~0.05 ms of CPU per
request, so the load generator takes little from the cores the servers run on:

- one client, short texts, sequential: p50 latency (tuneboard with the onnx-int8 backend);
- 16 concurrent clients for a fixed time: requests per second, and the server's CPU milliseconds per
  request (from /proc: what a request costs, which a busy machine changes far less than requests/s);
- the int8 ONNX file against the fp32 safetensors; accuracy of int8 against PyTorch (validation rows).

    .venv/bin/python bench/bench_serve.py                      # trains the bundled MiniLM briefly first
    .venv/bin/python bench/bench_serve.py --run models/runs/<id> --seconds 8 --backends onnx-int8,torch --rounds 2

Prints the ratios and writes bench/results-serve.json.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def naive_server(run: str, port: int) -> None:
    """The hand-written baseline: one pipeline call per request."""
    import uvicorn
    from fastapi import FastAPI
    from transformers import pipeline

    clf = pipeline("text-classification", model=str(Path(run) / "model"), top_k=None, device="cpu")
    app = FastAPI()

    @app.post("/predict")
    def predict(body: dict) -> list:
        return [clf(body["inputs"])]

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and all its threads so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(cmd: list[str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"server failed: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start in 300 s")


def measure(port: int, pid: int, texts: list[str], single: int, seconds: float, clients: int) -> dict:
    """One sequential client (p50/p95), then ``clients`` concurrent ones for ``seconds`` (requests/s and
    the server's CPU milliseconds per request, which a busy machine does not change much)."""
    from loadgen import run_load

    bodies = [{"inputs": t} for t in texts]
    run_load("127.0.0.1", port, "/predict", bodies, 1, count=10)  # warm-up
    one = run_load("127.0.0.1", port, "/predict", bodies, 1, count=single)
    cpu0 = server_cpu_s(pid)
    many = run_load("127.0.0.1", port, "/predict", bodies, clients, seconds=seconds)
    cpu = server_cpu_s(pid) - cpu0
    return {"p50_ms": one["p50_ms"], "p95_ms": one["p95_ms"], "concurrent_rps": many["rps"],
            "concurrent_requests": many["requests"], "concurrent_p50_ms": many["p50_ms"],
            "server_cpu_ms_per_request": cpu * 1000 / max(many["requests"], 1),
            "client_cpu_ms_per_request": many["client_cpu_ms_per_request"]}


def train_run() -> str:
    from tuneboard.config import TrainConfig
    from tuneboard.train.pipeline import execute

    cfg = TrainConfig(data=str(ROOT / "examples" / "support_tickets.csv"), model="default", preset="fast", epochs=1)
    return str(execute(cfg).run.path)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", help="a finished run folder (default: train the bundled MiniLM for 1 epoch)")
    p.add_argument("--single", type=int, default=40, help="sequential requests for the p50")
    p.add_argument("--seconds", type=float, default=8.0, help="duration of the 16-client phase")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--rounds", type=int, default=1, help="measure every server this many times, in turns (medians)")
    p.add_argument("--backends", default="onnx-int8", help="tuneboard backends to measure, comma-separated")
    p.add_argument("--naive-server", nargs=2, metavar=("RUN", "PORT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.naive_server:
        return naive_server(args.naive_server[0], int(args.naive_server[1]))

    import pandas as pd

    from tuneboard.serve.onnx import ensure_onnx, read_parity

    run = args.run or train_run()
    texts = pd.read_parquet(Path(run) / "predictions.parquet")["text"].astype(str).tolist()[:200]
    results: dict = {"run": run, "cpus": os.cpu_count(), "texts": len(texts), "clients": args.clients}
    for b in args.backends.split(","):
        if b != "torch":
            ensure_onnx(run, b)  # export before timing, not during
    servers = [("naive", [sys.executable, __file__, "--naive-server", run])]
    backends = args.backends.split(",")
    servers += [(b, [sys.executable, "-m", "tuneboard", "serve", run, "--backend", b]) for b in backends]
    rounds: dict[str, list[dict]] = {name: [] for name, _ in servers}
    for r in range(args.rounds):  # servers take turns, so a change in the machine's load hits all of them
        for name, cmd in servers:
            port = free_port()
            proc = start(cmd + ([str(port)] if name == "naive" else ["--port", str(port)]), port)
            try:
                rounds[name].append(measure(port, proc.pid, texts, args.single, args.seconds, args.clients))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            print(f"round {r + 1}", name, json.dumps(rounds[name][-1]), flush=True)
    for name, measured in rounds.items():
        results[name] = {k: statistics.median(m[k] for m in measured) for k in measured[0]} | {"rounds": measured}
    model = Path(run) / "model"
    int8 = ensure_onnx(run, "onnx-int8")
    parity = read_parity(int8) or {}
    results["safetensors_mb"] = sum(f.stat().st_size for f in model.glob("*.safetensors")) / 1e6
    results["int8_onnx_mb"] = (int8 / "model.onnx").stat().st_size / 1e6
    results["int8_accuracy"], results["torch_accuracy"] = parity.get("accuracy"), parity.get("torch_accuracy")
    best = args.backends.split(",")[0]
    results["ratios"] = {
        "p50_latency_vs_naive": results[best]["p50_ms"] / results["naive"]["p50_ms"],
        "throughput_16_clients_vs_naive": results[best]["concurrent_rps"] / results["naive"]["concurrent_rps"],
        "server_cpu_per_request_naive_vs": (results["naive"]["server_cpu_ms_per_request"]
                                            / results[best]["server_cpu_ms_per_request"]),
        "int8_size_vs_safetensors": results["int8_onnx_mb"] / results["safetensors_mb"],
        "accuracy_delta_pt": ((results["int8_accuracy"] - results["torch_accuracy"]) * 100
                              if parity.get("accuracy") is not None else None)}
    for b in args.backends.split(",")[1:]:
        results["ratios"][f"throughput_16_clients_{b}_vs_naive"] = (results[b]["concurrent_rps"]
                                                                     / results["naive"]["concurrent_rps"])
    print(json.dumps(results["ratios"], indent=2))
    (ROOT / "bench" / "results-serve.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
