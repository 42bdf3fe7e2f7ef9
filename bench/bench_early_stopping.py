"""Where early stopping pays: train a preset to its last epoch with patience 0, then replay its
evaluations through the early-stopping rule for each patience to see where it would have stopped,
what score it would have kept and how much training time it would have saved.

    .venv/bin/python bench/bench_early_stopping.py --preset balanced
    .venv/bin/python bench/bench_early_stopping.py --preset best --eval-every 8

The replay is exact for a deterministic run: with the same seed, a run with patience p follows the same
trajectory as this one up to the evaluation where it stops (stopping only truncates the run).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import tuneboard  # noqa: E402,F401  (sets the OpenMP wait policy before torch loads)

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "examples" / "support_tickets.csv"))
    ap.add_argument("--preset", default="balanced")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--eval-every", default="epoch")
    ap.add_argument("--min-delta", type=float, default=0.001)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    os.environ["TUNEBOARD_RUNS_DIR"] = tempfile.mkdtemp(prefix="tuneboard-es-")

    from tuneboard.config import TrainConfig
    from tuneboard.train.pipeline import execute
    from tuneboard.train.stopping import EarlyStopper

    cfg = TrainConfig(data=args.data, preset=args.preset, epochs=args.epochs, eval_every=args.eval_every,
                      early_stopping_patience=0)
    events: list[dict] = []
    result = execute(cfg, on_event=events.append)
    evals = [e for e in events if e["type"] == "eval"]
    train = [e for e in events if e["type"] == "train"]
    total = result.metrics["train_runtime_s"]
    print(f"{args.preset}: {cfg.epochs} epochs, eval every {cfg.eval_every}, train {total:.0f} s, "
          f"kept macro-F1 {result.metrics['macro_f1']:.3f} (accuracy {result.metrics['accuracy']:.3f})")
    for e in evals:
        print(f"  eval epoch {e['epoch']:.2f} step {e['step']}: macro-F1 {e['macro_f1']:.3f}  "
              f"accuracy {e['accuracy']:.3f}  eval_loss {e['eval_loss']:.3f}")
    rows = []
    for patience in (1, 2, 3):
        s = EarlyStopper(patience, args.min_delta, "macro_f1")
        stop = next((i for i, e in enumerate(evals) if s.update(e["macro_f1"]) and i < len(evals) - 1), None)
        seen = evals[: (stop if stop is not None else len(evals) - 1) + 1]
        kept = max(seen, key=lambda e: e["macro_f1"])
        at = seen[-1]["step"]
        share = max((t["progress"] for t in train if t["step"] <= at), default=1.0)
        rows.append({"patience": patience, "stops_at_epoch": seen[-1]["epoch"] if stop is not None else None,
                     "kept_macro_f1": kept["macro_f1"], "training_share": share})
        where = f"stops after epoch {seen[-1]['epoch']:.2f}" if stop is not None else "never stops"
        print(f"  patience {patience}: {where}, keeps macro-F1 {kept['macro_f1']:.3f}, "
              f"trains {share:.0%} of the steps")
    if args.json:
        Path(args.json).write_text(json.dumps({"preset": args.preset, "evals": evals, "replay": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
