"""Label smoothing: a setting of the table that really changes training (single-label tasks)."""
from __future__ import annotations

import pytest
import torch

from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.train import balance
from tuneboard.train import pipeline as training


def test_smoothing_raises_the_loss_of_a_confident_right_answer_as_torch_defines_it():
    logits, labels = torch.tensor([[6.0, -6.0], [-6.0, 6.0]]), torch.tensor([0, 1])
    plain = balance.weighted_loss(None, "cpu")(logits, labels)
    smoothed = balance.weighted_loss(None, "cpu", smoothing=0.2)(logits, labels)
    assert float(smoothed) > float(plain) + 0.5
    expected = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=0.2)
    assert float(smoothed) == pytest.approx(float(expected))


def test_a_run_with_label_smoothing_trains_differently_from_the_same_run_without(tiny_model, sentiment_csv):
    def trained(smoothing: float) -> float:
        cfg = TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=16, learning_rate=3e-3,
                          max_length=32, label_smoothing=smoothing)
        result = training.execute(cfg)
        assert result.run.config().label_smoothing == smoothing
        return result.metrics["eval_loss"]

    assert trained(0.0) != pytest.approx(trained(0.4), abs=1e-6)


def test_label_smoothing_past_its_limit_is_refused():
    with pytest.raises(ConfigError, match=r"Label smoothing 0\.6 is out of range"):
        TrainConfig(data="x.csv", label_smoothing=0.6)
