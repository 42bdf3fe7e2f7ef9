import shutil
from pathlib import Path

import pytest

from tuneboard.errors import ModelLoadError
from tuneboard.model.catalog import describe_model, list_local_models, resolve_model


def test_default_resolves_to_the_bundled_folder():
    src = resolve_model("default")
    assert src.kind == "bundled"
    card = describe_model("default")
    assert 22_000_000 < card.parameters < 23_500_000  # all-MiniLM-L6-v2 is 22.7M
    assert card.layers == 6 and card.hidden_size == 384


def test_only_pretrained_base_models_are_listed(tiny_model, tmp_path):
    assert resolve_model(tiny_model).kind == "local"
    card = describe_model(tiny_model)
    assert card.parameters > 0 and card.model_type == "bert"
    models = tmp_path / "models"
    shutil.copytree(tiny_model, models / "minilm-copy")  # a pretrained model someone put there: listed
    run = models / "runs" / "20260101-120000-tickets-ab12"
    shutil.copytree(tiny_model, run / "model")  # a finished run: a fine-tuned classifier, not a base model
    (run / "status.json").write_text('{"status": "completed"}')
    shutil.copytree(tiny_model, models / "unzipped-export")  # an exported run, unzipped
    (models / "unzipped-export" / "tuneboard_config.json").write_text("{}")
    onnx = models / "elsewhere" / "onnx" / "int8"
    onnx.mkdir(parents=True)  # an ONNX export: config.json and model.onnx, no trainable weights
    shutil.copy(Path(tiny_model) / "config.json", onnx / "config.json")
    (onnx / "model.onnx").write_bytes(b"onnx")
    (models / "notes").mkdir()
    (models / "notes" / "config.json").write_text('{"epochs": 3}')  # a config.json that is not a model's
    found = list_local_models(models)
    assert [s.name for s in found] == ["minilm-copy"]
    assert found[0].location == str(models / "minilm-copy") and found[0].kind == "local"


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
