"""Which validation rows an evaluation *during* training scores.

An evaluation of a large validation split costs a sizeable share of a short run on CPU (1,000 rows took
~15 s beside ~60 s of steps). During training, an evaluation only has to tell whether the model got
better (for keeping the best weights and for early stopping), so it scores a stratified sample; the
kept model is then scored on every row once, and that is what ``metrics.json`` reports.
"""
from __future__ import annotations

import numpy as np

from tuneboard.predict.batching import Encoded

SAMPLE_MIN_ROWS = 400  # a 400-row accuracy has a standard error of ~2 points: enough to see a better epoch
SAMPLE_MAX_ROWS = 2000
SAMPLE_SHARE = 0.25


def sample_size(n: int) -> int | None:
    """Rows to score during training out of ``n``; ``None`` (score all) when a sample would save little."""
    size = min(SAMPLE_MAX_ROWS, max(SAMPLE_MIN_ROWS, int(n * SAMPLE_SHARE)))
    return size if size <= 0.6 * n else None


def eval_sample(targets: np.ndarray | None, task: str, seed: int) -> np.ndarray | None:
    """Sorted row indices of a stratified sample of the validation split, or ``None`` for every row.

    Stratified by class (single-label) or by target value (regression): rows are put in a random order,
    sorted by their stratum, and picked at even spacing, so each stratum keeps its share within one row.
    Multi-label rows are sampled at random."""
    if targets is None:
        return None
    n = len(targets)
    size = sample_size(n)
    if size is None:
        return None
    order = np.random.default_rng(seed).permutation(n)
    if task in ("single_label", "regression"):
        order = order[np.argsort(np.asarray(targets)[order], kind="stable")]
    picks = np.linspace(0, n - 1, size).round().astype(np.int64)
    return np.sort(order[picks])


def subset(enc: Encoded, rows: np.ndarray) -> Encoded:
    """The examples ``rows`` of ``enc``."""
    rows_list = rows.tolist()
    types = [enc.token_type_ids[i] for i in rows_list] if enc.token_type_ids is not None else None
    targets = enc.targets[rows] if enc.targets is not None else None
    return Encoded([enc.input_ids[i] for i in rows_list], types, targets, enc.pad_id)
