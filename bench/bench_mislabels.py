"""How well the suspected-mislabel finder spots labels we broke on purpose.

A copy of the demo (examples/support_tickets.csv, 610 rows, 5 classes) gets 5 % of its labels flipped to
another class at random; ``tuneboard.evaluate.mislabels.find_suspects`` (cross-validated TF-IDF probabilities into
cleanlab) flags rows; precision = flagged rows that were flipped / flagged, recall = flipped rows flagged /
flipped. Averaged over several seeds, for each of cleanlab's ``filter_by`` rules on the same probabilities.
The demo's own labels may hold real mistakes too: a flagged row that was not flipped counts against
precision here even when it is genuinely wrong.

Run: ``.venv/bin/python bench/bench_mislabels.py [--rate 0.05] [--seeds 5]``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILTERS = ("prune_by_noise_rate", "both", "confident_learning", "predicted_neq_given")  # cleanlab's filter_by


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(ROOT / "examples" / "support_tickets.csv"))
    ap.add_argument("--rate", type=float, default=0.05)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()

    import pandas as pd

    from tuneboard.evaluate.mislabels import find_suspects, out_of_sample_scores

    df = pd.read_csv(args.data)
    text_col, label_col = df.columns[0], df.columns[1]
    texts, clean = df[text_col].astype(str).tolist(), df[label_col].astype(str).to_numpy()
    classes = sorted(set(clean))
    results = []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        flipped = rng.choice(len(df), size=round(args.rate * len(df)), replace=False)
        noisy = clean.copy()
        for i in flipped:
            noisy[i] = rng.choice([c for c in classes if c != clean[i]])
        start = time.perf_counter()
        scores = out_of_sample_scores(texts, noisy.tolist(), classes, seed=seed)
        took = time.perf_counter() - start
        for filter_by in FILTERS:
            flags = set(find_suspects(texts, noisy.tolist(), classes, scores=scores, filter_by=filter_by)["row"])
            hits = len(flags & set(flipped.tolist()))
            precision = hits / max(len(flags), 1)
            recall = hits / len(flipped) if len(flipped) else float("nan")
            results.append({"seed": seed, "filter_by": filter_by, "flipped": len(flipped), "flagged": len(flags),
                            "hits": hits, "precision": precision, "recall": recall, "cv_seconds": took})
            print(f"seed {seed} {filter_by:<20}: {len(flipped)} flipped, {len(flags)} flagged, {hits} of them flipped"
                  f" -> precision {precision:.2f}, recall {recall:.2f}  (cross-validation {took:.1f} s)", flush=True)
    for filter_by in FILTERS:
        mine = [r for r in results if r["filter_by"] == filter_by]
        print(f"{filter_by:<20} mean over {len(mine)} seeds: precision {np.mean([r['precision'] for r in mine]):.3f}, "
              f"recall {np.mean([r['recall'] for r in mine]):.3f}, flagged {np.mean([r['flagged'] for r in mine]):.1f}")
    print(json.dumps(results))

if __name__ == "__main__":
    main()
