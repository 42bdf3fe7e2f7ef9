"""Accuracy with 8 / 16 / 32 / 64 labels per class: the few-shot recipe (SetFit, tuneboard/train/fewshot.py) vs
plain fine-tuning (Tuneboard's normal trainer) vs TF-IDF + logistic regression (the instant model), plus the
bundled encoder's embeddings + logistic regression without any training (what ``suggest`` uses).

Data: generated English support tickets, 5 intents (bench/labeling_data.py): k labeled rows per class drawn from
a pool, scored on 200 held-out rows. Both trainers run as a person's run does (``execute``, the fast preset:
3 epochs, max length 64, bundled MiniLM, CPU) with the 200 rows as the validation file: each keeps its best
epoch on them, so both are a little optimistic, alike. Kept short for 2 busy cores: one seed and a small
evaluation set, so differences under ~4 points are noise.

    nice -n 10 python bench/bench_fewshot.py                # --sizes 8 16 32 64 --seed 0
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
WORK = Path(tempfile.mkdtemp(prefix="tb-fewshot-"))
os.environ["TUNEBOARD_RUNS_DIR"] = str(WORK / "runs")
os.environ["TUNEBOARD_RUNS_DIR"] = str(WORK / "runs")  # the embeddings cache sits beside it
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from labeling_data import english_tickets  # noqa: E402

from tuneboard.config import TrainConfig  # noqa: E402
from tuneboard.labeling.embeddings import embed_texts  # noqa: E402
from tuneboard.predict import fit_baseline  # noqa: E402
from tuneboard.train import execute  # noqa: E402

EVAL = 200


def write(path: Path, texts: list[str], labels: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(zip(texts, labels, strict=True))
    return path


def sample(y: list[str], k: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    return sorted(int(r) for c in sorted(set(y)) for r in rng.choice([i for i, v in enumerate(y) if v == c], k,
                                                                       replace=False))


def trained(train: Path, val: Path, trainer: str, seed: int) -> tuple[float, float]:
    config = TrainConfig(data=str(train), validation=str(val), text_column="text", label_column="label",
                         model="default", preset="fast", seed=seed, device="cpu", extra={"trainer": trainer})
    t0 = time.perf_counter()
    result = execute(config)
    return float(result.metrics["accuracy"]), time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32, 64])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="write the results as JSON here")
    args = p.parse_args()
    texts, y = english_tickets(2000)
    eval_x, eval_y, pool_x, pool_y = texts[:EVAL], y[:EVAL], texts[EVAL:], y[EVAL:]
    val = write(WORK / "eval.csv", eval_x, eval_y)
    names = sorted(set(y))
    eval_vectors = embed_texts(eval_x)
    results = []
    for k in args.sizes:
        rows = sample(pool_y, k, args.seed)
        tx, ty = [pool_x[r] for r in rows], [pool_y[r] for r in rows]
        train = write(WORK / f"train-{k}.csv", tx, ty)
        ids = np.array([names.index(v) for v in ty])
        tfidf = fit_baseline(tx, ids, "single_label", names)
        tfidf_acc = float(np.mean(np.array(names)[tfidf.scores(eval_x).argmax(1)] == np.array(eval_y)))
        from sklearn.linear_model import LogisticRegression

        head = LogisticRegression(max_iter=2000, C=10.0).fit(embed_texts(tx), ids)
        emb_acc = float(np.mean(np.array(names)[head.predict(eval_vectors)] == np.array(eval_y)))
        few_acc, few_s = trained(train, val, "fewshot", args.seed)
        fine_acc, fine_s = trained(train, val, "finetune", args.seed)
        row = {"per_class": k, "rows": len(rows), "fewshot": round(few_acc, 4), "finetune": round(fine_acc, 4),
               "tfidf": round(tfidf_acc, 4), "embeddings_lr": round(emb_acc, 4), "fewshot_s": round(few_s, 1),
               "finetune_s": round(fine_s, 1)}
        results.append(row)
        print(f"{k:>3} per class: few-shot {few_acc:.3f} ({few_s:.0f} s) | fine-tune {fine_acc:.3f} ({fine_s:.0f} s) "
              f"| TF-IDF {tfidf_acc:.3f} | embeddings+LR {emb_acc:.3f} | few-shot / fine-tune "
              f"{few_acc / max(fine_acc, 1e-9):.2f}x, / TF-IDF {few_acc / max(tfidf_acc, 1e-9):.2f}x", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
