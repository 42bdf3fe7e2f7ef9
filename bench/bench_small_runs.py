"""A small run (1,000 rows x 1 epoch): the preset's batch 32 vs the small-run rule (autobatch.py).

    .venv/bin/python bench/bench_small_runs.py [--seeds 42,7]

Trains the bundled MiniLM on the generated sentences of bench/whole_process.py (1,000 train / 1,000
validation rows, 1 epoch, preset balanced) with: batch 32 pinned (32 steps); the small-run rule (batch 16,
learning rate x sqrt(1/2)); batch 16 at the preset's learning rate; batch 8 pinned. Prints accuracy, macro-F1
and the steps' seconds per seed.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="42,7")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tuneboard-small-"))
    os.environ["TUNEBOARD_RUNS_DIR"] = str(work / "runs")
    from whole_process import make_sentences

    from tuneboard.config import TrainConfig
    from tuneboard.train import pipeline as training

    train, val = make_sentences(1000, 1, work / "train.csv"), make_sentences(1000, 2, work / "val.csv")
    variants = {"batch 32 pinned": dict(auto_batch_size=False), "small-run rule": dict(),
                "batch 16, lr 2e-4": dict(batch_size=16), "batch 8 pinned": dict(batch_size=8, auto_batch_size=False)}
    for seed in (int(s) for s in args.seeds.split(",")):
        for name, kw in variants.items():
            cfg = TrainConfig(data=str(train), validation=str(val), epochs=1, seed=seed, **kw)
            t = time.perf_counter()
            m = training.execute(cfg).metrics
            print(f"seed {seed:<3} {name:<18} acc {m['accuracy']:.3f}  macro-F1 {m['macro_f1']:.3f}  "
                  f"batch {m['batch_size_final']:<3} steps {m['train_runtime_s']:5.1f} s  "
                  f"whole {time.perf_counter() - t:5.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
