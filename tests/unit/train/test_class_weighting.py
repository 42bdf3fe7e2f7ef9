"""Imbalanced classes: weights change the loss, balanced batches cover the minority, 'auto' weights a skewed set."""
from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.train import balance
from tuneboard.train import pipeline as training


def test_balanced_weights_make_each_class_weigh_the_same_and_change_the_loss():
    targets = np.array([0] * 90 + [1] * 10)
    w = balance.class_weights(targets, 3)
    assert w[0] * 90 == pytest.approx(w[1] * 10) and w[2] == 1.0   # absent class: weight 1
    assert balance.imbalance_ratio(targets, 2) == 9.0
    logits, labels = torch.tensor([[2.0, 0.0], [2.0, 0.0]]), torch.tensor([0, 1])
    plain = torch.nn.functional.cross_entropy(logits, labels)
    weighted = balance.weighted_loss(w[:2], "cpu")(logits, labels)
    assert weighted > plain   # the misclassified minority row now weighs 9 times the majority one


def test_a_balanced_sampling_epoch_covers_the_minority_class_as_often_as_the_majority():
    targets = np.array([0] * 95 + [1] * 5)
    lengths = np.random.default_rng(0).integers(5, 30, size=100)
    batches = balance.balanced_batches(targets, lengths, batch_size=8, seed=3)
    drawn = [i for b in batches for i in b]
    assert len(drawn) == 100 and all(len(b) <= 8 for b in batches)
    minority = sum(targets[i] == 1 for i in drawn)
    assert 35 <= minority <= 65 and set(np.flatnonzero(targets == 1)) <= set(drawn)


def test_auto_weights_only_a_single_label_set_with_a_3x_imbalance():
    assert balance.resolve("auto", "single_label", 3.0) == "weighted"
    assert balance.resolve("auto", "single_label", 2.9) == "none"
    assert balance.resolve("sampling", "single_label", 1.0) == "sampling"
    assert balance.resolve("weighted", "multi_label", 10.0) == "none"
    with pytest.raises(ConfigError, match="Unknown class weighting 'smote'"):
        TrainConfig(data="x.csv", class_weighting="smote")


@pytest.fixture
def skewed_csv(tmp_path):
    rows = sentiment_rows(240)
    rows = [r for r in rows if r[1] == "positive"] + [r for r in rows if r[1] == "negative"][:24]  # 5:1
    path = tmp_path / "skewed.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("review", "sentiment"), *rows])
    return path


@pytest.mark.parametrize("setting, used", [("auto", "weighted"), ("none", "none"), ("sampling", "sampling")])
def test_a_run_records_which_weighting_it_used(tiny_model, skewed_csv, setting, used):
    events = []
    cfg = TrainConfig(data=str(skewed_csv), model=tiny_model, epochs=1, batch_size=16, learning_rate=3e-3,
                      max_length=32, class_weighting=setting)
    result = training.execute(cfg, on_event=events.append)
    assert result.metrics["class_weighting"] == used and result.metrics["imbalance_ratio"] >= 4
    notes = [e["message"] for e in events if e["type"] == "notice"]
    assert any("largest class has" in n and f"class weighting: {setting}" in n for n in notes)
