import pytest

from tuneboard.config import PRESETS, TrainConfig
from tuneboard.errors import ConfigError


def test_preset_fills_unset_fields_and_keeps_explicit_ones():
    cfg = TrainConfig(data="x.csv", preset="fast", epochs=7)
    assert cfg.epochs == 7
    assert cfg.learning_rate == PRESETS["fast"]["learning_rate"]
    assert cfg.max_length == PRESETS["fast"]["max_length"]


def test_round_trip_through_dict_and_file(tmp_path):
    cfg = TrainConfig(data="x.csv", label_columns=["a", "b"], preset="best", seed=3)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    cfg.save(tmp_path / "c.json")
    assert TrainConfig.load(tmp_path / "c.json") == cfg


@pytest.mark.parametrize("changes, words", [
    ({"preset": "turbo"}, "Unknown preset"),
    ({"epochs": 0}, "Epochs 0"),
    ({"batch_size": -4}, "Batch size"),
    ({"learning_rate": 5.0}, "Learning rate"),
    ({"val_size": 0.9}, "Validation size"),
    ({"device": "tpu"}, "Unknown device"),
    ({"task": "ranking"}, "Unknown task"),
    ({"text_column": "t", "label_column": "t"}, "both 't'"),
    ({"data": "  "}, "No data file"),
])
def test_bad_values_name_the_value_and_the_fix(changes, words):
    with pytest.raises(ConfigError) as e:
        TrainConfig(**{"data": "x.csv", **changes})
    assert words in str(e.value)
    assert "\n" not in str(e.value)


def test_from_dict_rejects_unknown_keys_unless_lenient():
    with pytest.raises(ConfigError, match="Unknown setting"):
        TrainConfig.from_dict({"data": "x.csv", "epocs": 3})
    assert TrainConfig.from_dict({"data": "x.csv", "epocs": 3}, strict=False).data == "x.csv"
