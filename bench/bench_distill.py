"""Distillation benchmark: a fine-tuned 6-layer MiniLM teacher vs its 3-layer distilled student.

For each data set: fine-tune the bundled all-MiniLM-L6-v2 (the teacher, preset ``fast`` by default),
distil its first 3 layers with ``tuneboard.train.distillation`` (T=2, alpha=0.5, twice the teacher's epochs, the same
split), then measure both on this machine's CPU with ``distill.compare``: macro-F1 and accuracy on the
shared validation split, one-text p50 latency, rows/s, size; with ``--int8`` also the student's int8
ONNX export (the chain). Prints the ratios and writes ``bench/results-distill.json``.

    .venv/bin/python bench/bench_distill.py                          # demo + 2000 generated tickets
    .venv/bin/python bench/bench_distill.py --generate 0 --int8      # demo only, with the int8 chain

Targets: student macro-F1 >= 97 % of the teacher's, one-text latency <= 0.6x on CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import tuneboard  # noqa: E402,F401  (sets the OpenMP wait policy before torch loads)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="fast", choices=["fast", "balanced", "best"])
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--generate", type=int, default=2000, help="rows of the generated set (0: demo only)")
    ap.add_argument("--int8", action="store_true", help="also export the student to int8 ONNX and measure it")
    ap.add_argument("--single", type=int, default=200, help="one-text calls per model for the p50 (interleaved)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-distill.json"))
    args = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="bench-distill-"))
    os.environ["TUNEBOARD_RUNS_DIR"] = str(work / "runs")
    sets = [("demo", ROOT / "examples" / "support_tickets.csv")]
    if args.generate:
        from bench_train import generate

        sets.append((f"generated-{args.generate}", generate(args.generate, work)))
    results = []
    for name, path in sets:
        results.append(one(name, path, args))
        Path(args.out).write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    return 0


def one(name: str, path: Path, args: argparse.Namespace) -> dict:
    from tuneboard.config import TrainConfig
    from tuneboard.train import distill
    from tuneboard.train import pipeline as training

    t0 = time.perf_counter()
    teacher = training.execute(TrainConfig(data=str(path), model="default", preset=args.preset, device="cpu"))
    t1 = time.perf_counter()
    student = distill.distill(teacher.run.path, distill.DistillSettings(layers=args.layers))
    t2 = time.perf_counter()
    table = distill.compare(student.run.path, single=args.single, int8=args.int8)
    rows = {r["model"]: r for r in table["rows"]}
    t, s = rows["teacher"], rows["student"]
    print(f"\n== {name}: {path.name}, {teacher.metrics['n_train']} train / {teacher.metrics['n_val']} validation rows, "
          f"preset {args.preset}; teacher trained in {t1 - t0:.0f} s, student in {t2 - t1:.0f} s")
    print(f"{'model':<20} {'layers':>6} {'params':>11} {'MB':>7} {'p50 ms':>7} {'rows/s':>7} {'acc':>6} "
          f"{'macro-F1':>8}")
    for r in table["rows"]:
        print(f"{r['model']:<20} {r['layers']:>6} {r['parameters']:>11,} {r['size_mb']:>7.1f} {r['p50_ms']:>7.2f} "
              f"{r['rows_per_s']:>7.1f} {r['accuracy']:>6.3f} {r['macro_f1']:>8.3f}")
    print(f"student / teacher: macro-F1 kept {s['macro_f1'] / t['macro_f1']:.1%}, "
          f"latency x{s['p50_ms'] / t['p50_ms']:.2f}, rows/s x{s['rows_per_s'] / t['rows_per_s']:.2f}, "
          f"size x{s['size_mb'] / t['size_mb']:.2f}")
    print(table["summary"])
    return {"data": name, "n_train": teacher.metrics["n_train"], "n_val": teacher.metrics["n_val"],
            "teacher_train_s": t1 - t0, "student_train_s": t2 - t1, "rows": table["rows"],
            "summary": table["summary"], "load_average": os.getloadavg()}


if __name__ == "__main__":
    raise SystemExit(main())
