"""How well the suspected-mislabel finder spots labels we broke on purpose.

A copy of the demo (examples/support_tickets.csv, 610 rows, 5 classes) gets 5 % of its labels flipped to
another class at random; ``tuneboard.mislabels.find_suspects`` (cross-validated TF-IDF probabilities into
cleanlab) flags rows; precision = flagged rows that were flipped / flagged, recall = flipped rows flagged /
flipped. Averaged over several seeds. The demo's own labels may hold real mistakes too: a flagged row that
was not flipped counts against precision here even when it is genuinely wrong.

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(ROOT / "examples" / "support_tickets.csv"))
    ap.add_argument("--rate", type=float, default=0.05)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()

    import pandas as pd

    from tuneboard.mislabels import find_suspects

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
        flags = set(find_suspects(texts, noisy.tolist(), classes, seed=seed)["row"].tolist())
        took = time.perf_counter() - start
        hits = len(flags & set(flipped.tolist()))
        precision, recall = hits / max(len(flags), 1), hits / len(flipped) if len(flipped) else float("nan")
        results.append({"seed": seed, "flipped": len(flipped), "flagged": len(flags), "hits": hits,
                        "precision": precision, "recall": recall, "seconds": took})
        print(f"seed {seed}: {len(flipped)} flipped, {len(flags)} flagged, {hits} of them flipped -> "
              f"precision {precision:.2f}, recall {recall:.2f}  ({took:.1f} s)", flush=True)
    p = np.mean([r["precision"] for r in results])
    r = np.mean([r["recall"] for r in results])
    print(f"mean over {len(results)} seeds: precision {p:.3f}, recall {r:.3f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
