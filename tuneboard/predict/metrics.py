"""Metrics for every task, computed with scikit-learn.

``compute_metrics(task, labels, targets, scores)`` is the one entry point; ``main_metric(task)``
names the number used to pick the best checkpoint and to rank runs.
"""
from __future__ import annotations

from typing import Any

import numpy as np

# task -> (metric name, higher is better)
MAIN_METRIC = {"single_label": ("macro_f1", True), "multi_label": ("micro_f1", True), "regression": ("rmse", False)}


def main_metric(task: str) -> tuple[str, bool]:
    return MAIN_METRIC[task]


def is_better(task: str, new: float, old: float | None) -> bool:
    if old is None:
        return True
    _, higher = MAIN_METRIC[task]
    return new > old if higher else new < old


def compute_metrics(task: str, labels: list[str], targets: np.ndarray, scores: np.ndarray,
                    threshold: float = 0.5) -> dict[str, Any]:
    """``targets``: class ids (single), 0/1 matrix (multi) or floats (regression);
    ``scores``: probabilities (n, k) for classification, predictions (n,) for regression."""
    if task == "regression":
        return regression_metrics(np.asarray(targets, float), np.asarray(scores, float).reshape(-1))
    if task == "multi_label":
        return multilabel_metrics(np.asarray(targets, int), (np.asarray(scores) >= threshold).astype(int), labels)
    y, p = np.asarray(targets, int), np.asarray(scores, float)
    pred = (p[:, 1] >= threshold).astype(int) if p.shape[1] == 2 else p.argmax(axis=1)
    out = classification_metrics(y, pred, labels)
    out["calibration"] = calibration(y, p)
    out["ece"] = out["calibration"]["ece"]
    if p.shape[1] == 2:
        out.update(binary_curves(y, p[:, 1]))
        out["threshold"] = threshold
    return out


def calibration(y_true: np.ndarray, proba: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Expected calibration error and reliability-diagram bins, on the top-class confidence."""
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y_true).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    rows, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=False):
        inside = (conf > lo) & (conf <= hi) if lo > 0 else (conf >= lo) & (conf <= hi)
        if inside.any():
            gap = abs(correct[inside].mean() - conf[inside].mean())
            ece += inside.mean() * gap
            rows.append({"low": float(lo), "high": float(hi), "confidence": float(conf[inside].mean()),
                         "accuracy": float(correct[inside].mean()), "count": int(inside.sum())})
    return {"ece": float(ece), "bins": rows}


def binary_curves(y_true: np.ndarray, p_pos: np.ndarray, points: int = 200) -> dict[str, Any]:
    """ROC-AUC, PR-AUC (average precision) and both curves, thinned to about ``points`` points."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    if len(set(y_true.tolist())) < 2:
        return {}
    fpr, tpr, _ = roc_curve(y_true, p_pos)
    prec, rec, thr = precision_recall_curve(y_true, p_pos)
    k1, k2 = max(1, len(fpr) // points), max(1, len(prec) // points)
    return {"roc_auc": float(roc_auc_score(y_true, p_pos)), "pr_auc": float(average_precision_score(y_true, p_pos)),
            "roc_curve": {"fpr": fpr[::k1].tolist(), "tpr": tpr[::k1].tolist()},
            "pr_curve": {"precision": prec[::k2].tolist(), "recall": rec[::k2].tolist()}}


def threshold_table(y_true: np.ndarray, p_pos: np.ndarray, steps: int = 99) -> list[dict[str, float]]:
    """Precision, recall and F1 of the positive class at thresholds 0.01 .. 0.99 (binary tasks)."""
    from sklearn.metrics import precision_recall_fscore_support

    rows = []
    for t in np.linspace(0.01, 0.99, steps):
        p, r, f, _ = precision_recall_fscore_support(y_true, (p_pos >= t).astype(int), average="binary",
                                                     zero_division=0)
        rows.append({"threshold": float(round(t, 2)), "precision": float(p), "recall": float(r), "f1": float(f)})
    return rows


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    ids = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=ids, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, labels=ids, average="weighted", zero_division=0)),
        "per_class": {labels[i]: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                  "support": int(s[i])} for i in ids},
        "confusion_matrix": {"labels": list(labels),
                             "matrix": confusion_matrix(y_true, y_pred, labels=ids).tolist()},
        "n": int(len(y_true)),
    }


def multilabel_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    return {
        "micro_f1": float(f1_score(y_true, y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "subset_accuracy": float(accuracy_score(y_true, y_pred)),
        "per_class": {labels[i]: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                  "support": int(s[i])} for i in range(len(labels))},
        "n": int(len(y_true)),
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "r2": float(r2_score(y_true, y_pred)) if len(y_true) > 1 else 0.0,
        "n": int(len(y_true)),
    }

