"""What a finished run leaves behind for Evaluate, Compare and export: ``metrics.json`` and
``predictions.parquet`` (per-example validation predictions), written here and nowhere else."""
from __future__ import annotations

from typing import Any

import numpy as np

from tuneboard.data.prepare import PreparedData
from tuneboard.files import atomic_path
from tuneboard.paths import RunFiles
from tuneboard.predict.metrics import main_metric
from tuneboard.protocol import RunMetrics
from tuneboard.runs.folder import RunDir

PREDICTIONS_FILE = RunFiles.PREDICTIONS
METRICS_FILE = RunFiles.METRICS


def run_metrics(data: PreparedData, scores: dict[str, Any], **details: Any) -> RunMetrics:
    """``metrics.json`` of a run on ``data``: ``scores`` from ``compute_metrics`` plus ``details``
    (any other ``RunMetrics`` field: best step, throughput, the baseline's scores...)."""
    name, higher = main_metric(data.task)
    return RunMetrics(task=data.task, labels=list(data.labels), main_metric=name, higher_is_better=higher,
                      scores=scores, n_train=len(data.train), n_val=len(data.val), **details)


def save_results(run: RunDir, data: PreparedData, scores: np.ndarray, metrics: RunMetrics) -> dict[str, Any]:
    """Write ``metrics.json`` and ``predictions.parquet``; returns the metrics as written."""
    out = metrics.to_dict()
    run.write_json(METRICS_FILE, out)
    frame = predictions_frame(data, scores, data.task)
    with atomic_path(run.path / PREDICTIONS_FILE) as tmp:  # the validation texts: 0600, never half a file
        frame.to_parquet(tmp, index=False)
    return out


def predictions_frame(data: PreparedData, scores: np.ndarray, task: str) -> Any:
    """Per-example validation predictions (saved as predictions.parquet) with confidence and scores."""
    import pandas as pd

    val = data.val
    out = pd.DataFrame({"text": val["text"].astype(str)})
    if "text_pair" in val.columns:
        out["text_pair"] = val["text_pair"].astype(str)
    if task == "regression":
        out["label"] = val["label"].astype(float)
        out["predicted"] = scores.astype(float)
        out["error"] = out["predicted"] - out["label"]
        return out
    labels = data.labels
    if task == "multi_label":
        out["label"] = ["|".join(x) for x in val["label"]]
        out["predicted"] = ["|".join(labels[j] for j in np.flatnonzero(row >= 0.5)) for row in scores]
        out["confidence"] = np.abs(scores - 0.5).min(axis=1) + 0.5
    else:
        out["label"] = val["label"].astype(str)
        out["predicted"] = [labels[j] for j in scores.argmax(axis=1)]
        out["confidence"] = scores.max(axis=1)
    out["correct"] = out["label"] == out["predicted"]
    for j, name in enumerate(labels):
        out[f"score_{name}"] = scores[:, j].astype(float)
    return out
