import shutil

import pytest

from tuneboard.catalog import describe_model, list_local_models, resolve_model
from tuneboard.errors import ModelLoadError


def test_default_resolves_to_the_bundled_folder():
    src = resolve_model("default")
    assert src.kind == "bundled"
    card = describe_model("default")
    assert 22_000_000 < card.parameters < 23_500_000  # all-MiniLM-L6-v2 is 22.7M
    assert card.layers == 6 and card.hidden_size == 384


def test_local_folder_and_run_folder(tiny_model, tmp_path):
    assert resolve_model(tiny_model).kind == "local"
    card = describe_model(tiny_model)
    assert card.parameters > 0 and card.model_type == "bert"
    models = tmp_path / "models"
    shutil.copytree(tiny_model, models / "exported")  # an exported model folder
    shutil.copytree(tiny_model, models / "run-1" / "model")  # a finished run: listed by the run's name
    (models / "notes").mkdir()
    (models / "notes" / "config.json").write_text('{"epochs": 3}')  # a config.json that is not a model's
    found = list_local_models(models)
    assert sorted(s.name for s in found) == ["exported", "run-1"]
    assert {s.location for s in found} == {str(models / "exported"), str(models / "run-1" / "model")}
    assert all(s.kind == "local" for s in found)


def test_missing_folder_and_unreachable_hub_give_one_clear_line(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        resolve_model(str(tmp_path / "nope"))
    with pytest.raises(ModelLoadError) as e:
        describe_model("some-org/some-model-that-is-not-here")
    msg = str(e.value)
    assert "hub" in msg and "some-org/some-model-that-is-not-here" in msg and "\n" not in msg


def test_folder_without_model(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelLoadError, match="holds no model"):
        resolve_model(str(tmp_path / "empty"))
