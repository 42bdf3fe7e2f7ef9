"""Few-shot training (the SetFit recipe) makes a normal run: a classifier folder every reader loads."""
from __future__ import annotations

import csv
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.data.checks import check_config
from tuneboard.errors import ConfigError
from tuneboard.predict.inference import Predictor
from tuneboard.train import fewshot, pipeline
from tuneboard.train.fewshot import FEWSHOT, FINETUNE, FewShotTrainer, contrastive_pairs, trainer_kind


@pytest.fixture(autouse=True)
def _short_contrastive_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seconds, not a minute: fewer pairs, and a learning rate a tiny random encoder moves with."""
    monkeypatch.setattr(fewshot, "MAX_PAIRS", 160)
    monkeypatch.setattr(fewshot, "BODY_LR", 1e-3)


def _table(tmp_path: Path, n: int, name: str = "few.csv") -> Path:
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment"])
        w.writerows(sentiment_rows(n))
    return path


def _config(tiny_model: str, data: Path, trainer: str | None = "fewshot", **kw: object) -> TrainConfig:
    base = dict(data=str(data), model=tiny_model, epochs=3, batch_size=8, learning_rate=3e-3, max_length=32,
                early_stopping_patience=0, extra={"trainer": trainer} if trainer else {})
    return TrainConfig(**{**base, **kw})


def test_a_few_shot_run_is_a_normal_run_that_inference_loads(tiny_model: str, tmp_path: Path) -> None:
    events: list[dict] = []
    result = pipeline.execute(_config(tiny_model, _table(tmp_path, 40)), on_event=events.append)
    assert result.status == "completed"
    model_dir = result.run.model_dir
    assert (model_dir / "model.safetensors").is_file()
    every = [p.name for p in result.run.path.rglob("*")]
    assert not [n for n in every if n.endswith((".pkl", ".pickle", ".joblib", ".bin"))]
    config = json.loads((model_dir / "config.json").read_text())
    assert config["architectures"] == ["BertForSequenceClassification"]
    assert set(config["id2label"].values()) == {"negative", "positive"}
    metrics = json.loads((result.run.path / "metrics.json").read_text())
    assert metrics["model_kind"] == FEWSHOT and metrics["accuracy"] >= 0.75
    notices = [e for e in events if e["type"] == "notice"]
    assert any("pairs" in e["message"] for e in notices)
    out = Predictor.load(result.run.path).predict(["great love happy wonderful", "awful hate terrible broken"])
    assert [r["label"] for r in out] == ["positive", "negative"]


def test_auto_picks_few_shot_for_few_labels_per_class_and_fine_tuning_for_many(tiny_model: str,
                                                                                tmp_path: Path) -> None:
    few = _config(tiny_model, _table(tmp_path, 40), trainer="auto")
    many = _config(tiny_model, _table(tmp_path, 400, "many.csv"), trainer="auto")
    assert trainer_kind(few, check_config(few)) == FEWSHOT
    assert trainer_kind(many, check_config(many)) == FINETUNE
    plain = _config(tiny_model, _table(tmp_path, 40), trainer=None)
    assert trainer_kind(plain, check_config(plain)) == FINETUNE  # no choice made: the normal trainer, as before
    assert isinstance(pipeline.make_trainer(few, check_config(few), lambda e: None, threading.Event()),
                      FewShotTrainer)


def test_few_shot_refuses_a_task_it_cannot_train_and_an_unknown_method(tiny_model: str, tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("text,score\n" + "".join(f"text number {i},{i % 5}.5\n" for i in range(40)))
    regression = _config(tiny_model, path, task="regression")
    with pytest.raises(ConfigError, match="single-label"):
        trainer_kind(regression, check_config(regression))
    with pytest.raises(ConfigError, match="magic"):  # the config itself refuses it, before any data is read
        _config(tiny_model, _table(tmp_path, 40), trainer="magic")


def test_contrastive_pairs_are_half_same_class_half_different() -> None:
    y = np.array([0] * 8 + [1] * 8 + [2] * 8)
    pairs = contrastive_pairs(y, seed=0, per_text=5, max_pairs=10_000)
    assert len(pairs) == 24 * 5 * 2
    assert all((y[a] == y[b]) == (s == 1.0) and a != b for a, b, s in pairs)
    assert sum(s for _, _, s in pairs) == len(pairs) / 2
    assert len(contrastive_pairs(y, seed=0, per_text=20, max_pairs=100)) == 100


def test_a_stop_during_the_contrastive_phase_ends_the_run_as_stopped(tiny_model: str, tmp_path: Path) -> None:
    stop = threading.Event()

    def on_event(e: dict) -> None:
        if e["type"] == "notice" and "pairs" in e.get("message", ""):
            stop.set()

    result = pipeline.execute(_config(tiny_model, _table(tmp_path, 40)), on_event=on_event, stop=stop)
    assert result.status == "stopped"
