"""Early stopping: the rule, a run that overfits stopping before its last epoch with the best checkpoint kept,
and the reason reaching the history, the status, metrics.json and the CLI."""
from __future__ import annotations

import csv
import random

import pandas as pd
import pytest

from tests.conftest import WORDS
from tuneboard.cli.main import main
from tuneboard.config import TrainConfig
from tuneboard.i18n import set_language
from tuneboard.predict.inference import Predictor
from tuneboard.protocol import reason_text
from tuneboard.train import pipeline as training
from tuneboard.train.stopping import EarlyStopper, eval_steps


def test_stopper_counts_evaluations_without_an_improvement_larger_than_min_delta():
    s = EarlyStopper(patience=2, min_delta=0.01, metric="macro_f1")
    assert [s.update(v) for v in (0.5, 0.6, 0.605, 0.7, 0.69, 0.70)] == [False, False, False, False, False, True]
    assert s.best == 0.7
    assert s.reason() == "validation macro-F1 did not improve by more than 0.01 for 2 evaluations"


def test_stopper_for_a_lower_is_better_metric_and_patience_zero_never_stops():
    s = EarlyStopper(patience=1, min_delta=0.0, metric="rmse", higher_is_better=False)
    assert [s.update(v) for v in (3.0, 2.0, 2.5)] == [False, False, True]
    off = EarlyStopper(patience=0, min_delta=0.0, metric="macro_f1")
    assert not any(off.update(v) for v in (0.9, 0.1, 0.1, 0.1, 0.1))
    assert eval_steps("epoch") is None and eval_steps("25") == 25 and eval_steps(7) == 7


@pytest.fixture
def noisy_csv(tmp_path):
    """Labels that do not follow the text: the model can only memorise, so validation stops improving."""
    rng = random.Random(1)
    path = tmp_path / "noisy.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for _ in range(160):
            w.writerow([" ".join(rng.sample(WORDS, 6)), rng.choice(["a", "b"])])
    return path


def config(tiny_model, data, **kw):
    base = dict(data=str(data), model=tiny_model, epochs=30, batch_size=16, learning_rate=3e-3,
                freeze_embeddings=False, max_length=32, early_stopping_patience=2, early_stopping_min_delta=0.0)
    return TrainConfig(**{**base, **kw})


def test_an_overfitting_run_stops_early_and_keeps_its_best_checkpoint(tiny_model, noisy_csv):
    events = []
    result = training.execute(config(tiny_model, noisy_csv), on_event=events.append)
    evals = [e for e in events if e["type"] == "eval"]
    stops = [e for e in events if e["type"] == "early_stop"]
    assert result.status == "completed" and len(stops) == 1
    assert len(evals) < 30 and stops[0]["epoch"] < 30   # stopped before its last epoch
    assert "did not improve for 2 evaluations" in stops[0]["reason"]
    best = max(evals, key=lambda e: e["macro_f1"])
    assert not evals[-1]["is_best"] and stops[0]["best_step"] == best["step"]
    m = result.metrics
    assert m["macro_f1"] == pytest.approx(best["macro_f1"]) and m["best_step"] == best["step"]
    assert m["stop_reason"] == stops[0]["reason"]
    assert result.run.status()["reason"].startswith("Stopped early: validation macro-F1 did not improve")
    set_language("zh")  # the reason is kept with its key: a Chinese reader reads it all in Chinese
    try:
        assert reason_text(result.run.status()["reason"]) == "提前停止：验证集宏平均 F1连续 2 次评估没有提升。"
    finally:
        set_language("en")
    # the saved model is the best checkpoint, not the last weights: it predicts what the best evaluation did
    preds = pd.read_parquet(result.run.path / "predictions.parquet")
    again = Predictor.load(result.run.path).predict(preds["text"].tolist())
    assert [r["label"] for r in again] == preds["predicted"].tolist()


def test_evaluating_every_n_steps_and_patience_zero_runs_every_epoch(tiny_model, noisy_csv):
    events = []
    training.execute(config(tiny_model, noisy_csv, epochs=2, eval_every="3", early_stopping_patience=0),
                     on_event=events.append)
    steps = [e["step"] for e in events if e["type"] == "eval"]
    total = next(e for e in events if e["type"] == "start")["total_steps"]
    assert steps[:-1] == list(range(3, total + 1, 3))[:len(steps) - 1] and steps[-1] == total
    assert not any(e["type"] == "early_stop" for e in events)


def test_the_cli_says_why_it_stopped(tiny_model, noisy_csv, capsys):
    code = main(["train", str(noisy_csv), "--model", tiny_model, "--epochs", "30", "--batch-size", "16",
                 "--learning-rate", "3e-3", "--max-length", "32", "--early-stopping-patience", "2",
                 "--early-stopping-min-delta", "0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "stopped early at epoch" in out and "validation macro-F1 did not improve for 2 evaluations" in out
