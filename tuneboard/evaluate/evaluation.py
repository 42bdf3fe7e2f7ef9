"""Evaluate a trained run on a labeled file (the ``evaluate`` command and the Evaluate page)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tuneboard.config import TrainConfig
from tuneboard.data.prepare import prepare_data
from tuneboard.data.targets import encode_targets
from tuneboard.errors import DataError
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles, RunFiles
from tuneboard.predict.inference import Predictor
from tuneboard.predict.metrics import compute_metrics
from tuneboard.runs.folder import open_run
from tuneboard.team.access import LOCAL, User, check


def evaluate_file(run_path: str | Path, data_path: str | Path, text_column: str | None = None,
                  label_column: str | None = None, predictor: Predictor | None = None) -> dict[str, Any]:
    """Metrics of the run's model on every usable row of ``data_path`` (no split)."""
    return evaluate_rows(run_path, data_path, text_column, label_column, predictor)[0]


def evaluate_rows(run_path: str | Path, data_path: str | Path, text_column: str | None = None,
                  label_column: str | None = None, predictor: Predictor | None = None) -> tuple[dict[str, Any], Any]:
    """``evaluate_file``'s metrics and, for a one-label task, each row judged (``text``, ``label``,
    ``predicted``, ``correct``, with the file's other columns: what ``slices.slice_table`` reads)."""
    from tuneboard.data.slices import with_data_columns

    run = open_run(run_path)
    cfg = run.config()
    predictor = predictor or Predictor.load(run.path)
    eval_cfg = TrainConfig(data=str(data_path), text_column=text_column or cfg.text_column,
                           label_column=label_column or cfg.label_column, text_pair_column=cfg.text_pair_column,
                           label_columns=cfg.label_columns, label_delimiter=cfg.label_delimiter,
                           task=predictor.task, val_size=0.01, classes=cfg.classes)  # a file of codes or names
    frame = _all_rows(eval_cfg)
    pairs = frame["text_pair"].tolist() if "text_pair" in frame.columns else None
    scores = predictor.scores(frame["text"].tolist(), pairs)
    targets = _targets(frame, predictor)
    metrics = compute_metrics(predictor.task, predictor.labels, targets, scores, predictor.threshold)
    metrics["task"] = predictor.task
    if predictor.task != "single_label":
        return metrics, None
    binary = len(predictor.labels) == 2
    picked = (scores[:, 1] >= predictor.threshold).astype(int) if binary else scores.argmax(axis=1)
    rows = frame[["text", "label"]].assign(label=frame["label"].astype(str),
                                           predicted=[predictor.labels[j] for j in picked])
    rows["correct"] = rows["label"] == rows["predicted"]
    return metrics, with_data_columns(rows, eval_cfg)


def _all_rows(cfg: TrainConfig) -> Any:
    prepared = prepare_data(cfg)
    import pandas as pd

    return pd.concat([prepared.train, prepared.val], ignore_index=True)


def _targets(frame: Any, predictor: Predictor) -> np.ndarray:
    if predictor.task != "regression":
        names = set(frame["label"].explode() if predictor.task == "multi_label" else frame["label"])
        unknown = sorted(str(n) for n in names - set(predictor.labels))
        if unknown:
            raise DataError(t("engine.err.eval.unknown_labels", labels=", ".join(unknown[:5]),
                              known=", ".join(predictor.labels)))
    return encode_targets(frame, predictor.task, predictor.labels)  # regression: in the data's units


def set_threshold(run_path: str | Path, threshold: float, user: User = LOCAL) -> dict[str, Any]:
    """Save a decision threshold for a binary run (used by Predict, batch predictions and the CLI)
    and rewrite ``metrics.json`` at that threshold from the stored predictions. Only the run's owner
    or an admin may (``PermissionDenied``)."""
    import pandas as pd

    from tuneboard.errors import ConfigError
    from tuneboard.files import locked, update_json
    from tuneboard.predict.baseline import is_baseline_folder

    check(user, "set_threshold", open_run(run_path).path)
    if not 0.0 < threshold < 1.0:
        raise ConfigError(t("engine.err.eval.threshold_range", threshold=threshold))
    run = open_run(run_path)
    with locked(run.path):  # two users saving at once: one read-modify-write after the other
        metrics = run.metrics() or {}
        labels = metrics.get("labels") or []
        if metrics.get("task") != "single_label" or len(labels) != 2:
            raise ConfigError(t("engine.err.eval.threshold_binary"))
        meta = run.model_dir / (ModelFiles.BASELINE if is_baseline_folder(run.model_dir) else ModelFiles.CONFIG)
        key = "threshold" if meta.name == ModelFiles.BASELINE else "tuneboard_threshold"
        update_json(meta, lambda data: data.update({key: float(threshold)}))
        preds = pd.read_parquet(run.path / RunFiles.PREDICTIONS)
        index = {n: i for i, n in enumerate(labels)}
        scores = preds[[f"score_{n}" for n in labels]].to_numpy()
        fresh = compute_metrics("single_label", labels, preds["label"].map(index).to_numpy(), scores, threshold)
        update_json(run.path / RunFiles.METRICS, lambda data: data.update(fresh))
    return fresh

