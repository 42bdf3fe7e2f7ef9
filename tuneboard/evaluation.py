"""Evaluate a trained run on a labeled file (the ``evaluate`` command and the Evaluate page)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .config import TrainConfig
from .data import prepare_data
from .errors import DataError
from .inference import Predictor
from .metrics import compute_metrics
from .runs import open_run


def evaluate_file(run_path: str | Path, data_path: str | Path, text_column: str | None = None,
                  label_column: str | None = None, predictor: Predictor | None = None) -> dict[str, Any]:
    """Metrics of the run's model on every usable row of ``data_path`` (no split)."""
    run = open_run(run_path)
    cfg = run.config()
    predictor = predictor or Predictor.load(run.path)
    eval_cfg = TrainConfig(data=str(data_path), text_column=text_column or cfg.text_column,
                           label_column=label_column or cfg.label_column, text_pair_column=cfg.text_pair_column,
                           label_columns=cfg.label_columns, label_delimiter=cfg.label_delimiter,
                           task=predictor.task, val_size=0.01)
    frame = _all_rows(eval_cfg)
    pairs = frame["text_pair"].tolist() if "text_pair" in frame.columns else None
    scores = predictor.scores(frame["text"].tolist(), pairs)
    targets = _targets(frame, predictor)
    metrics = compute_metrics(predictor.task, predictor.labels, targets, scores, predictor.threshold)
    metrics["task"] = predictor.task
    return metrics


def _all_rows(cfg: TrainConfig) -> Any:
    prepared = prepare_data(cfg)
    import pandas as pd

    return pd.concat([prepared.train, prepared.val], ignore_index=True)


def _targets(frame: Any, predictor: Predictor) -> np.ndarray:
    if predictor.task == "regression":
        return frame["label"].to_numpy(float)
    index = {name: i for i, name in enumerate(predictor.labels)}
    names = set(frame["label"].explode() if predictor.task == "multi_label" else frame["label"])
    unknown = sorted(str(n) for n in names - set(index))
    if unknown:
        raise DataError(f"The file has label(s) the model was not trained on: {', '.join(unknown[:5])}. "
                        f"The model knows: {', '.join(predictor.labels)}.")
    if predictor.task == "multi_label":
        y = np.zeros((len(frame), len(index)), dtype=int)
        for r, tags in enumerate(frame["label"]):
            y[r, [index[t] for t in tags]] = 1
        return y
    return frame["label"].map(index).to_numpy(int)
