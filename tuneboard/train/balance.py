"""Imbalanced classes: how imbalanced a training set is, class weights for the loss, balanced batches.

``resolve`` turns the ``class_weighting`` setting into what a run does: 'auto' becomes a weighted
loss when the largest class has at least ``AUTO_RATIO`` times the rows of the smallest (single-label
tasks only: a multi-label or regression target has no class counts to balance this way).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from tuneboard.predict.batching import length_batches

AUTO_RATIO = 3.0  # the largest class at 3x the smallest: where the minority's recall starts to suffer
NONE, WEIGHTED, SAMPLING = "none", "weighted", "sampling"


def imbalance_ratio(targets: np.ndarray, n_classes: int) -> float:
    """Largest class count over smallest (classes absent from training count as 1 row)."""
    counts = np.bincount(np.asarray(targets, dtype=np.int64), minlength=n_classes)
    return float(counts.max() / max(counts.min(), 1)) if len(counts) else 1.0


def resolve(setting: str, task: str, ratio: float) -> str:
    """What the run does: ``none``, ``weighted`` or ``sampling``."""
    if task != "single_label":
        return NONE
    if setting == "auto":
        return WEIGHTED if ratio >= AUTO_RATIO else NONE
    return setting


def class_weights(targets: np.ndarray, n_classes: int) -> np.ndarray:
    """scikit-learn's 'balanced' weights, n / (k * count): each class weighs the same in the loss.
    A class with no training rows gets weight 1 (it never appears in a batch anyway)."""
    from sklearn.utils.class_weight import compute_class_weight

    targets = np.asarray(targets, dtype=np.int64)
    present = np.unique(targets)
    weights = np.ones(n_classes, dtype=np.float32)
    weights[present] = compute_class_weight("balanced", classes=present, y=targets)
    return weights


def weighted_loss(weights: np.ndarray | None, device: Any, smoothing: float = 0.0) -> Callable[[Any, Any], Any]:
    """Cross-entropy with per-class weights (None: all alike) and label smoothing, for ``trainer.train_step``'s
    ``loss_fn``."""
    import torch

    w = None if weights is None else torch.as_tensor(weights, dtype=torch.float32, device=device)

    def loss_fn(logits: Any, labels: Any) -> Any:
        return torch.nn.functional.cross_entropy(logits.float(), labels, weight=w, label_smoothing=smoothing)

    return loss_fn


def balanced_batches(targets: np.ndarray, lengths: np.ndarray, batch_size: int, seed: int) -> list[list[int]]:
    """One epoch of length-bucketed batches drawn so every class is equally likely: as many rows as
    the training set, each class sampled (with replacement) ``n / k`` times."""
    targets = np.asarray(targets, dtype=np.int64)
    rng = np.random.default_rng(seed)
    classes = np.unique(targets)
    per_class = -(-len(targets) // len(classes))
    drawn = np.concatenate([rng.choice(np.flatnonzero(targets == c), per_class, replace=True) for c in classes])
    drawn = rng.permutation(drawn)[:len(targets)]
    return [[int(drawn[j]) for j in b] for b in length_batches(lengths[drawn], batch_size, shuffle=True, seed=seed)]
