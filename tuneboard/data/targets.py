"""A prepared frame as model inputs and targets: labels as class ids, a 0/1 matrix, or (scaled) floats.

A regression target is trained on in standard units; the ``TargetScaler`` that does it is an
explicit object, saved with the model and used to turn its outputs back into the data's units.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class TargetScaler:
    """``(y - mean) / std`` for regression targets, and back."""

    mean: float = 0.0
    std: float = 1.0

    @classmethod
    def fit(cls, values: Any) -> "TargetScaler":
        """Mean and standard deviation of the training targets (std 1 when they are all equal)."""
        y = np.asarray(values, dtype=float)
        return cls(float(y.mean()), float(y.std() or 1.0))

    def scale(self, values: Any) -> np.ndarray:
        return ((np.asarray(values, dtype=float) - self.mean) / self.std).astype(np.float32)

    def unscale(self, values: Any) -> np.ndarray:
        return np.asarray(values) * self.std + self.mean


def encode_targets(frame: Any, task: str, labels: list[str], scaler: TargetScaler | None = None) -> np.ndarray:
    """The ``label`` column as the engine's targets: class ids (single-label), a 0/1 float matrix
    (multi-label), or floats (regression; scaled when a ``scaler`` is given)."""
    if task == "regression":
        y = frame["label"].to_numpy(float)
        return scaler.scale(y) if scaler is not None else y
    index = {name: i for i, name in enumerate(labels)}
    if task == "multi_label":
        out = np.zeros((len(frame), len(labels)), dtype=np.float32)
        for r, names in enumerate(frame["label"]):
            out[r, [index[x] for x in names]] = 1.0
        return out
    return frame["label"].map(index).to_numpy(np.int64)


def regression_scaler(task: str, train: Any) -> TargetScaler | None:
    """The scaler of a regression task, fitted on the training split; ``None`` for classification."""
    return TargetScaler.fit(train["label"].to_numpy(float)) if task == "regression" else None


def text_pairs(frame: Any) -> list[str] | None:
    """The second texts of a text-pair table, or ``None``."""
    return frame["text_pair"].tolist() if "text_pair" in frame.columns else None
