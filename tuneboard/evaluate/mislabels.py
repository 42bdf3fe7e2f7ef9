"""Rows whose label is probably wrong, ranked: cleanlab's label-issue finder (confident learning) on
out-of-sample probabilities.

The probabilities come from the fast TF-IDF + logistic-regression baseline, cross-validated over every
row of the data (each row scored by a model that never saw it), so every row of the file can be checked
in seconds; or from a run's own validation predictions (only those rows). Single-label tasks only.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tuneboard.errors import ConfigError
from tuneboard.i18n import t

FOLDS = 5
FILTER = "both"  # best balance of the four cleanlab rules on the demo with 5 % flipped labels (bench_mislabels)
# cleanlab's default (no n_jobs given) is a multiprocessing pool of one process per physical core: forked from the
# threaded Streamlit server, a child can inherit a lock held by another thread and wait forever (and it keeps
# the server's listening socket, so the next start finds the port taken). One worker: it takes milliseconds.
WORKERS = 1


def out_of_sample_scores(texts: list[str], labels: list[str], classes: list[str], folds: int = FOLDS,
                         seed: int = 42) -> np.ndarray:
    """Probabilities (n, classes) for every row from a TF-IDF baseline fitted on the other folds."""
    from sklearn.model_selection import StratifiedKFold

    from tuneboard.predict.baseline import fit_baseline

    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    smallest = int(np.bincount(y, minlength=len(classes)).min())
    k = max(2, min(folds, smallest)) if smallest >= 2 else 2
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    texts_arr = np.asarray(texts, dtype=object)
    out = np.zeros((len(texts), len(classes)))
    import warnings

    with warnings.catch_warnings():  # a class with one row cannot be in every fold: expected, not news
        warnings.simplefilter("ignore", UserWarning)
        for train, test in splitter.split(texts_arr, y):
            model = fit_baseline(texts_arr[train].tolist(), y[train], "single_label", classes, seed=seed)
            out[test] = model.scores(texts_arr[test].tolist())
    return out


def find_suspects(texts: list[str], labels: list[str], classes: list[str] | None = None,
                  scores: np.ndarray | None = None, seed: int = 42, filter_by: str = FILTER) -> pd.DataFrame:
    """Rows cleanlab flags as probably mislabeled, most likely first: ``row`` (position in the input),
    ``text``, ``label``, ``suggested`` (the label the evidence favours), ``label_quality`` (0..1, low = suspect).
    ``scores``: out-of-sample probabilities; cross-validated TF-IDF ones when omitted."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    labels = [str(x) for x in labels]
    classes = list(classes or sorted(set(labels)))
    if len(classes) < 2:
        raise ConfigError(t("engine.err.mislabels.two_classes"))
    if scores is None:
        scores = out_of_sample_scores(texts, labels, classes, seed=seed)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    probs = np.clip(scores, 1e-6, None)
    probs = probs / probs.sum(axis=1, keepdims=True)
    ranked = find_label_issues(y, probs, return_indices_ranked_by="self_confidence", filter_by=filter_by,
                               n_jobs=WORKERS)
    quality = get_label_quality_scores(y, probs)
    return pd.DataFrame({"row": ranked, "text": [texts[i] for i in ranked], "label": [labels[i] for i in ranked],
                         "suggested": [classes[j] for j in probs[ranked].argmax(axis=1)],
                         "label_quality": quality[ranked].astype(float)})


def suspects_in_run_data(config: Any) -> pd.DataFrame:
    """Every usable row of a run's data (train and validation) checked with cross-validated TF-IDF."""
    from tuneboard.data.prepare import prepare_data

    prepared = prepare_data(config)
    if prepared.task != "single_label":
        raise ConfigError(t("engine.err.mislabels.single_label"))
    rows = pd.concat([prepared.train, prepared.val], ignore_index=True)
    return find_suspects(rows["text"].astype(str).tolist(), rows["label"].astype(str).tolist(),
                         [str(c) for c in prepared.labels], seed=config.seed)


def suspects_in_predictions(frame: pd.DataFrame, classes: list[str]) -> pd.DataFrame:
    """Validation rows only, judged with the run's own (out-of-sample) validation probabilities."""
    cols = [f"score_{c}" for c in classes]
    if any(c not in frame for c in cols):
        raise ConfigError(t("engine.err.mislabels.no_scores"))
    return find_suspects(frame["text"].astype(str).tolist(), frame["label"].astype(str).tolist(), classes,
                         scores=frame[cols].to_numpy(float))
