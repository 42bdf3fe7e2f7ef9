"""Tracking: every run's curves in TensorBoard's own files, and in MLflow when asked; a broken tracker
never fails the run."""
from __future__ import annotations

import pytest

from tuneboard.config import TrainConfig
from tuneboard.protocol import RunStatus
from tuneboard.train.pipeline import execute


def config(data, model, epochs=2, **kw) -> TrainConfig:
    return TrainConfig(data=str(data), model=model, epochs=epochs, batch_size=16, freeze_embeddings=False,
                       learning_rate=3e-3, max_length=32, **kw)


def test_tensorboard_reader_finds_train_loss_and_validation_metrics(sentiment_csv, tiny_model):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    result = execute(config(sentiment_csv, tiny_model))
    acc = EventAccumulator(str(result.run.path))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"train/loss", "train/learning_rate", "eval/macro_f1", "eval/accuracy", "eval/loss"} <= tags
    assert "baseline/macro_f1" in tags
    evals = acc.Scalars("eval/macro_f1")
    assert len(evals) == 2  # one per epoch
    history = [e for e in result.run.history() if e["type"] == "eval"]
    assert [round(s.value, 6) for s in evals] == [round(e["macro_f1"], 6) for e in history]
    assert [s.step for s in evals] == [e["step"] for e in history]
    losses = acc.Scalars("train/loss")
    assert len(losses) >= 2 and all(s.value > 0 for s in losses)


def test_mlflow_run_has_params_metrics_and_the_model(sentiment_csv, tiny_model, tmp_path, monkeypatch):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    result = execute(config(sentiment_csv, tiny_model, mlflow=True))
    assert result.status == RunStatus.COMPLETED
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["tuneboard"],
                              filter_string=f"tags.`tuneboard.run_id` = '{result.run.run_id}'")
    assert len(runs) == 1
    row = runs.iloc[0]
    assert row["status"] == "FINISHED"
    assert row["metrics.macro_f1"] == pytest.approx(result.metrics["macro_f1"])  # the kept model's score
    client = mlflow.tracking.MlflowClient(uri)
    curve = client.get_metric_history(row["run_id"], "eval_macro_f1")
    evals = [e for e in result.run.history() if e["type"] == "eval"]
    assert [(m.step, round(m.value, 6)) for m in curve] == [(e["step"], round(e["macro_f1"], 6)) for e in evals]
    assert row["params.learning_rate"] == "0.003" and row["params.epochs"] == "2"
    history = client.get_metric_history(row["run_id"], "train_loss")
    assert len(history) >= 2 and len({m.step for m in history}) == len(history)
    files = {f.path for f in client.list_artifacts(row["run_id"], "model")}
    assert "model/config.json" in files and "model/model.safetensors" in files


def test_mlflow_off_by_default_writes_no_store(sentiment_csv, tiny_model, _private_runs_dir, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    execute(config(sentiment_csv, tiny_model, epochs=1))
    assert not (_private_runs_dir.parent / "mlflow.db").exists()


def test_a_failing_tracker_becomes_a_notice_and_the_run_completes(sentiment_csv, tiny_model, monkeypatch):
    from tuneboard.train import tracking

    def broken(self, event):
        raise OSError("disk full")

    monkeypatch.setattr(tracking.TensorBoardTracker, "handle", broken)
    seen = []
    result = execute(config(sentiment_csv, tiny_model, epochs=1), on_event=seen.append)
    assert result.status == RunStatus.COMPLETED and result.metrics["macro_f1"] > 0
    notes = [e for e in result.run.history() if e["type"] == "notice" and "TensorBoard" in e["message"]]
    assert len(notes) == 1 and "disk full" in notes[0]["message"] and notes[0]["level"] == "warning"
    assert notes[0] in seen  # the live view hears it too


def test_mlflow_setting_is_on_the_command_line():
    from tuneboard.cli.main import build_parser

    args = build_parser().parse_args(["train", "data.csv", "--mlflow"])
    assert args.mlflow is True
    assert build_parser().parse_args(["train", "data.csv"]).mlflow is False
