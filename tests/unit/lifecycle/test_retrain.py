"""Retrain with a gate: the pure verdict on constructed numbers (slice margin included), the rules, and one
retraining through the queue whose verdict is kept with the new run and marks it candidate in the registry."""
from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.errors import DataError, PermissionDenied
from tuneboard.lifecycle.gate import GateSettings, judge, rule_fires
from tuneboard.lifecycle.retrain import GATE_FILE, latest, new_labels, start_retrain, verdict_words
from tuneboard.protocol import BASELINE_MODEL
from tuneboard.team.access import User
from tuneboard.train.pipeline import execute
from tuneboard.train.queue import RunRegistry

SETTINGS = GateSettings(eval_file="eval.csv", margin=0.05)


def _slices(**acc: float) -> list[dict]:
    return [{"by": "channel", "value": k, "rows": 40, "accuracy": v} for k, v in acc.items()]


def test_the_gate_passes_a_model_that_is_better_and_loses_no_slice_beyond_the_margin():
    v = judge({"macro_f1": 0.80}, {"macro_f1": 0.85}, "macro_f1", True, SETTINGS,
              _slices(web=0.90, app=0.70), _slices(web=0.86, app=0.80))
    assert v.passed and v.reason == "better" and v.gain == pytest.approx(0.05) and v.slices_compared == 2
    assert v.worst_slice["value"] == "web" and v.worst_slice["drop"] == pytest.approx(0.04)


def test_the_gate_fails_a_better_model_when_one_slice_drops_more_than_the_margin():
    v = judge({"macro_f1": 0.80}, {"macro_f1": 0.90}, "macro_f1", True, SETTINGS,
              _slices(web=0.90, app=0.70), _slices(web=0.84, app=0.95))
    assert not v.passed and v.reason == "slice_drop" and [d["value"] for d in v.drops] == ["web"]
    looser = GateSettings(eval_file="eval.csv", margin=0.10)
    assert judge({"macro_f1": 0.80}, {"macro_f1": 0.90}, "macro_f1", True, looser,
                 _slices(web=0.90), _slices(web=0.84)).passed


def test_the_gate_fails_a_model_that_only_ties_production_or_does_worse():
    assert judge({"macro_f1": 0.8}, {"macro_f1": 0.8}, "macro_f1", True, SETTINGS).reason == "not_better"
    assert judge({"macro_f1": 0.8}, {"macro_f1": 0.7}, "macro_f1", True, SETTINGS).reason == "not_better"
    # lower is better (regression): a smaller error passes
    assert judge({"rmse": 1.0}, {"rmse": 0.9}, "rmse", False, SETTINGS).passed


def test_a_rule_asks_for_a_retraining_after_n_new_labels_or_past_a_drift_threshold_and_a_click_never_does():
    every = GateSettings(eval_file="e.csv", rule="every_n", every_n=20)
    drift = GateSettings(eval_file="e.csv", rule="drift", drift_psi=0.2)
    assert not rule_fires(every, 19, None) and rule_fires(every, 20, None)
    assert not rule_fires(drift, 500, None) and not rule_fires(drift, 0, 0.19) and rule_fires(drift, 0, 0.2)
    assert not rule_fires(GateSettings(eval_file="e.csv"), 10_000, 9.0)
    with pytest.raises(ValueError):
        GateSettings(eval_file="e.csv", rule="weekly")


def _write(path: Path, rows: list[tuple[str, str]], extra: dict | None = None) -> Path:
    frame = pd.DataFrame(rows, columns=["review", "sentiment"])
    for k, v in (extra or {}).items():
        frame[k] = v
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A TF-IDF production run, labels added on Monitor since, and a fixed evaluation file with a slice column."""
    monkeypatch.setenv("TUNEBOARD_DATASETS_DIR", str(tmp_path / "datasets"))
    flip = {"positive": "negative", "negative": "positive"}  # production learned from badly labeled rows
    data = _write(tmp_path / "train.csv", [(x, flip[y] if i % 5 < 2 else y)
                                           for i, (x, y) in enumerate(sentiment_rows(60, seed=1))])
    production = execute(TrainConfig(data=str(data), model=BASELINE_MODEL)).run
    from tuneboard.serve.monitor import feedback_path

    feedback = feedback_path(production.path)
    feedback.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(sentiment_rows(200, seed=2), columns=["text", "label"]).to_csv(feedback, index=False)
    rows = sentiment_rows(120, seed=3)
    evalfile = _write(tmp_path / "datasets" / "eval.csv", rows, {"channel": ["web", "app"] * 60})
    return production, evalfile


def test_a_retraining_runs_through_the_queue_and_its_verdict_is_kept_with_the_new_run_and_sent_to_the_registry(
        served, monkeypatch):
    production, evalfile = served
    promoted = []
    monkeypatch.setattr("tuneboard.registry.__getattr__",
                        lambda name: (lambda *a, **k: promoted.append((a, k)) or 4) if name == "promote" else
                        (_ for _ in ()).throw(AttributeError(name)), raising=False)
    assert new_labels(production) == 200
    registry = RunRegistry()
    settings = GateSettings(eval_file=str(evalfile), margin=0.5)
    candidate = start_retrain(production, settings, registry, tables=(), model_name="router")
    union = pd.read_csv(candidate.config().data)
    assert len(union) > 60 and set(union["label_source"]) == {"imported", "person"}
    assert new_labels(production) == 0
    deadline = time.time() + 60
    while (record := latest(production))["state"] == "pending" and time.time() < deadline:
        time.sleep(0.05)
    assert record["state"] == "judged" and (candidate.path / GATE_FILE).is_file()
    verdict = record["verdict"]
    assert verdict["metric"] == "macro_f1" and verdict["slices_compared"] >= 2
    assert record["production_metrics"]["macro_f1"] == pytest.approx(verdict["production"])
    assert verdict["passed"] and verdict["candidate"] > verdict["production"] + 0.1
    assert [(a[:2], k) for a, k in promoted] == [((candidate.run_id, "router"), {"alias": "candidate"})]
    assert record["registry"] == {"done": True, "model": "router", "version": "4"}
    level, words = verdict_words(record)
    assert level == "success" and "beats production on eval.csv" in words and "candidate of router" in words


def test_only_the_owner_may_retrain_and_only_on_an_evaluation_file_of_the_model(served, tmp_path):
    production, evalfile = served
    with pytest.raises(PermissionDenied):
        start_retrain(production, GateSettings(eval_file=str(evalfile)), RunRegistry(), User("mallory@example.com"))
    outside = _write(tmp_path / "elsewhere.csv", sentiment_rows(20))
    with pytest.raises(DataError, match="elsewhere.csv is not one of the evaluation files"):
        start_retrain(production, GateSettings(eval_file=str(outside)), RunRegistry())
    with pytest.raises(DataError, match="elsewhere.csv is not a labeled table"):
        start_retrain(production, GateSettings(eval_file=str(evalfile)), RunRegistry(), tables=[str(outside)])


def test_retraining_the_production_version_of_a_name_makes_the_passing_run_that_names_candidate(served):
    from tuneboard.registry import promote, resolve

    production, evalfile = served
    promote(production.run_id, "router", alias="production")  # what the Models page or `model promote` does
    candidate = start_retrain(production, GateSettings(eval_file=str(evalfile), margin=0.5), RunRegistry())
    deadline = time.time() + 60
    while (record := latest(production))["state"] == "pending" and time.time() < deadline:
        time.sleep(0.05)
    assert record["model_name"] == "router" and record["verdict"]["passed"]
    assert resolve("router", "candidate").run_id == candidate.run_id  # production is untouched: a person promotes
    assert resolve("router").run_id == production.run_id
