"""LoRA vs full fine-tuning on the demo: accuracy, time, peak memory, size on disk.

    .venv/bin/python bench/bench_lora.py                         # fast preset, LoRA r=8 at lr 1e-3
    .venv/bin/python bench/bench_lora.py --preset balanced --lora-lr 5e-4 --rank 16

Each run is a child process (``--child full|lora``) so its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own. Same model (bundled MiniLM), same split of
examples/support_tickets.csv, same preset and epochs; LoRA trains adapters on the query/value layers plus
the pooler and head, so it gets a higher learning rate (``--lora-lr``), as LoRA usually does.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import tuneboard  # noqa: E402,F401  (sets the OpenMP wait policy before torch loads)

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def child(mode: str, args: argparse.Namespace) -> dict:
    from tuneboard.config import TrainConfig
    from tuneboard.train.pipeline import execute

    lora = mode == "lora"
    cfg = TrainConfig(data=str(ROOT / "examples" / "support_tickets.csv"), preset=args.preset, epochs=args.epochs,
                      lora=lora, lora_rank=args.rank, lora_alpha=2 * args.rank, early_stopping_patience=0,
                      learning_rate=args.lora_lr if lora else None)
    t0 = time.perf_counter()
    result = execute(cfg)
    m, run = result.metrics, result.run.path
    size = lambda folder: sum(f.stat().st_size for f in folder.rglob("*.safetensors"))  # noqa: E731
    return {"mode": mode, "accuracy": m["accuracy"], "macro_f1": m["macro_f1"], "train_s": m["train_runtime_s"],
            "train_cpu_s": m["train_cpu_s"], "wall_s": time.perf_counter() - t0,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "learning_rate": cfg.learning_rate, "trainable": (m.get("lora") or {}).get("trainable_parameters"),
            "model_mb": size(run / "model") / 2**20,
            "adapter_mb": size(run / "adapter") / 2**20 if (run / "adapter").is_dir() else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="fast")
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--lora-lr", type=float, default=1e-3)
    ap.add_argument("--child", choices=["full", "lora"])
    ap.add_argument("--out")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    if args.child:
        os.environ["TUNEBOARD_RUNS_DIR"] = tempfile.mkdtemp(prefix="tuneboard-lora-")
        Path(args.out).write_text(json.dumps(child(args.child, args)))
        return 0
    results = []
    for mode in ("full", "lora"):
        out = Path(tempfile.mkdtemp()) / "result.json"
        cmd = [sys.executable, __file__, "--child", mode, "--out", str(out), "--preset", args.preset,
               "--rank", str(args.rank), "--lora-lr", str(args.lora_lr)]
        if args.epochs:
            cmd += ["--epochs", str(args.epochs)]
        subprocess.run(cmd, check=True)
        r = json.loads(out.read_text())
        results.append(r)
        adapter = f"  adapter {r['adapter_mb']:.2f} MB" if r["adapter_mb"] is not None else ""
        print(f"{mode:<5} lr {r['learning_rate']:g}: accuracy {r['accuracy']:.3f}  macro-F1 {r['macro_f1']:.3f}  "
              f"train {r['train_s']:.0f} s ({r['train_cpu_s']:.0f} CPU-s)  wall {r['wall_s']:.0f} s  "
              f"peak RSS {r['peak_rss_mb']:.0f} MB  model {r['model_mb']:.1f} MB{adapter}", flush=True)
    full, lora = results
    print(f"lora / full: train CPU-s x{lora['train_cpu_s'] / full['train_cpu_s']:.2f}, peak RSS "
          f"{lora['peak_rss_mb'] - full['peak_rss_mb']:+.0f} MB, accuracy {lora['accuracy'] - full['accuracy']:+.3f}, "
          f"trainable {lora['trainable']:,} parameters")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
