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


OLD_STUDENT = {"data": "x.csv", "model": "/runs/teacher/model", "epochs": 6,
               "extra": {"teacher_run": "teacher-1", "note": "kept", "distill": {
                   "layers": 2, "student": None, "temperature": 3.0, "alpha": 0.7, "epochs": None,
                   "unlabeled": None, "teacher_path": "/runs/teacher", "teacher_layers": 6}}}


def test_an_old_students_config_json_loads_into_the_typed_distill_section(tmp_path):
    import json

    from tuneboard.config import DistillSpec

    path = tmp_path / "config.json"
    path.write_text(json.dumps(OLD_STUDENT), encoding="utf-8")
    cfg = TrainConfig.load(path)
    assert cfg.trainer == "distill" and cfg.extra == {"note": "kept"}
    assert cfg.distill == DistillSpec(teacher_run="teacher-1", teacher_path="/runs/teacher", teacher_layers=6,
                                      layers=2, temperature=3.0, alpha=0.7)
    cfg.save(path)  # saved again: the new shape, read back the same
    assert TrainConfig.load(path) == cfg and json.loads(path.read_text())["distill"]["layers"] == 2


def test_an_old_search_trials_config_loads_into_the_search_section_and_trains_as_before():
    from tuneboard.config import SearchSpec

    cfg = TrainConfig.from_dict({"data": "x.csv", "extra": {"study": "s-1", "trial": 3}})
    assert cfg.search == SearchSpec(study="s-1", trial=3) and cfg.extra == {} and cfg.trainer == "finetune"
    assert TrainConfig.from_dict({"data": "x.csv", "extra": {"distill": {}, "teacher_run": "t"}}).trainer == "finetune"


def test_the_trainer_is_named_and_each_kind_has_a_class():
    from tuneboard.config import TRAINERS
    from tuneboard.train.pipeline import TRAINER_CLASSES

    assert set(TRAINER_CLASSES) == set(TRAINERS) - {"auto"}  # auto becomes fewshot or finetune by the labels
    with pytest.raises(ConfigError, match="Unknown trainer 'setfit'"):
        TrainConfig(data="x.csv", trainer="setfit")
    assert TrainConfig(data="x.csv", extra={"trainer": "fewshot"}).trainer == "fewshot"  # as first saved
    with pytest.raises(ConfigError, match="needs its recipe"):
        TrainConfig(data="x.csv", trainer="distill")
