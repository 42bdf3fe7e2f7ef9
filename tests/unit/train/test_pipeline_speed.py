"""The pipeline around the loop. Evaluations during training score a stratified sample while
metrics.json scores every row; the TF-IDF baseline is fitted in a background thread and still lands
in metrics.json and on disk; a failing background baseline is a notice, not a failed run."""
import csv
import json
import threading

import numpy as np
import pandas as pd
import pytest

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.train import pipeline as training
from tuneboard.train.evalsample import eval_sample, sample_size


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment"])
        w.writerows(rows)
    return path


@pytest.fixture
def big_validation(tmp_path):
    """200 training rows and 1,000 validation rows: large enough for a 400-row sample."""
    return write(tmp_path / "train.csv", sentiment_rows(200, 0)), write(tmp_path / "val.csv", sentiment_rows(1000, 1))


def quick(tiny_model, train, val, **kw):
    base = dict(data=str(train), validation=str(val) if val else None, model=tiny_model, epochs=2, batch_size=16,
                learning_rate=3e-3, freeze_embeddings=False, max_length=32)
    return TrainConfig(**{**base, **kw})


def test_a_sample_keeps_each_class_share_and_small_splits_are_scored_whole():
    y = np.array([0] * 700 + [1] * 300)
    rows = eval_sample(y, "single_label", seed=3)
    assert len(rows) == 400 and len(set(rows.tolist())) == 400
    assert abs((y[rows] == 1).sum() - 120) <= 1                   # 30 % of the sample, within one row
    assert eval_sample(np.zeros(500), "single_label", 0) is None   # a 400-row sample would save little
    assert sample_size(100_000) == 2000
    values = np.linspace(0.0, 1.0, 5000)
    picked = values[eval_sample(values, "regression", 0)]
    assert abs(np.median(picked) - 0.5) < 0.01 and picked.min() < 0.01 and picked.max() > 0.99


def test_evaluations_during_training_score_the_sample_and_metrics_json_every_row(tiny_model, big_validation):
    events = []
    result = training.execute(quick(tiny_model, *big_validation), on_event=events.append)
    evals = [e for e in events if e["type"] == "eval"]
    assert [e["n"] for e in evals] == [400, 400]                  # "best" compares sample with sample
    scored = [e["rows"] for e in events if e["type"] == "phase" and e["name"] == "evaluation"]
    assert scored == [400, 1000]                                   # the last one scores every row, once
    m = json.loads((result.run.path / "metrics.json").read_text())
    preds = pd.read_parquet(result.run.path / "predictions.parquet")
    assert m["n"] == m["n_val"] == len(preds) == 1000
    assert m["accuracy"] == pytest.approx(preds["correct"].mean())
    assert any("sample of 400 of the 1000" in e.get("message", "") for e in events)


def test_a_run_stopped_after_a_sampled_evaluation_still_reports_every_row(tiny_model, big_validation):
    stop = threading.Event()

    def on_event(e):
        if e["type"] == "eval":
            stop.set()

    result = training.execute(quick(tiny_model, *big_validation, epochs=3, auto_batch_size=False),  # 16-row steps
                              on_event=on_event, stop=stop)
    assert result.status == "stopped"
    m = json.loads((result.run.path / "metrics.json").read_text())
    assert m["n"] == 1000 and m["best_step"] == 13                 # the kept model, scored again on all rows
    assert len(pd.read_parquet(result.run.path / "predictions.parquet")) == 1000


def test_the_background_baseline_lands_in_metrics_json_and_on_disk(tiny_model, sentiment_csv):
    events = []
    result = training.execute(quick(tiny_model, sentiment_csv, None, epochs=1), on_event=events.append)
    m = json.loads((result.run.path / "metrics.json").read_text())
    assert 0.0 <= m["baseline"]["accuracy"] <= 1.0
    assert any((result.run.path / "baseline").iterdir())
    kinds = [e["type"] for e in events]
    assert kinds.count("baseline") == 1 and kinds.index("baseline") < kinds.index("status", 1)
    assert [e["type"] for e in result.run.history()] == kinds


def test_a_failing_background_baseline_is_a_notice_not_a_failed_run(tiny_model, sentiment_csv, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("no vocabulary")

    monkeypatch.setattr(training, "fit_on_split", broken)
    events = []
    result = training.execute(quick(tiny_model, sentiment_csv, None, epochs=1), on_event=events.append)
    assert result.status == "completed"
    assert "baseline" not in json.loads((result.run.path / "metrics.json").read_text())
    warnings = [e["message"] for e in events if e["type"] == "notice" and e.get("level") == "warning"]
    assert warnings == ["The TF-IDF model could not be fitted (ValueError: no vocabulary)."]


@pytest.mark.parametrize("n, epochs, batch, ranks, expected", [
    (1000, 1, 32, 1, 16),   # 32 steps at 32 rows -> 63 at 16
    (1000, 2, 32, 1, 32),   # 64 steps: enough
    (5000, 1, 32, 1, 32),
    (200, 1, 32, 1, 8),     # never below 8, even when 8 gives fewer than 50 steps
    (1000, 1, 32, 2, 8),    # two processes share the rows: each takes half the steps
    (1000, 1, 4, 1, 4),     # a batch already below 8 is left alone
])
def test_a_small_run_gets_a_batch_small_enough_for_fifty_steps(n, epochs, batch, ranks, expected):
    from tuneboard.train.steps import batch_for_steps

    assert batch_for_steps(n, epochs, batch, ranks) == expected


def test_a_small_run_trains_on_smaller_batches_and_says_so_unless_the_batch_is_pinned(tiny_model, sentiment_csv):
    base = dict(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=32, max_length=32)
    events = []
    result = training.execute(TrainConfig(**base), on_event=events.append)  # 160 rows: 5 steps at 32
    start = next(e for e in events if e["type"] == "start")
    assert start["batch_size"] == 8 and start["total_steps"] == 20
    assert any("batch size 8 instead of 32" in e.get("message", "") for e in events)
    assert result.metrics["batch_size_final"] == 8
    events = []
    training.execute(TrainConfig(**base, auto_batch_size=False), on_event=events.append)
    assert next(e for e in events if e["type"] == "start")["batch_size"] == 32
    assert not any("instead of" in e.get("message", "") for e in events)
