"""Which word-attribution method to ship: faithfulness and CPU time of occlusion vs Integrated Gradients.

Faithfulness: for each validation row, delete the k words an explanation says support the predicted
label most, then k random words (5 draws); the mean drop of the label's probability for both. A
faithful method drops it much more than random deletion. Time: ms per explanation of one text on CPU.

Run: ``.venv/bin/python bench/bench_explain.py RUN_DIR [--n 60] [--k 3]`` where RUN_DIR is a run trained
with ``python -m tuneboard train examples/support_tickets.csv --preset fast`` (bundled MiniLM).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run_dir")
    ap.add_argument("--n", type=int, default=60, help="validation rows to average over")
    ap.add_argument("--k", type=int, default=3, help="words deleted per text")
    args = ap.parse_args()

    import pandas as pd
    import torch

    from tuneboard.predict.explanations import METHODS, deletion_faithfulness, explain
    from tuneboard.predict.inference import Predictor

    predictor = Predictor.load(args.run_dir, device="cpu")
    texts = pd.read_parquet(Path(args.run_dir) / "predictions.parquet")["text"].head(args.n).tolist()
    print(f"{len(texts)} validation rows, k={args.k}, torch threads {torch.get_num_threads()}")
    rows = []
    for method in METHODS:
        explain(predictor, texts[:2], method=method)  # warm-up
        start = time.perf_counter()
        for t in texts:
            explain(predictor, [t], method=method)
        ms = (time.perf_counter() - start) / len(texts) * 1000
        faith = deletion_faithfulness(predictor, texts, method=method, k=args.k)
        rows.append({**faith, "ms_per_explanation": round(ms, 1)})
        print(f"{method:<10} top-{args.k} drop {faith['top_k_drop']:.3f}  random-{args.k} drop "
              f"{faith['random_k_drop']:.3f}  ratio {faith['top_k_drop'] / max(faith['random_k_drop'], 1e-9):.1f}x  "
              f"{ms:.0f} ms per explanation  ({faith['n']} texts)", flush=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
