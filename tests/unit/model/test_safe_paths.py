"""Safe paths: what a browser sends names a run or a model, never a server path."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import ModelLoadError, RunError
from tuneboard.model.catalog import describe_model, resolve_model
from tuneboard.runs.folder import create_run, open_run, run_by_id


@pytest.fixture
def models_dir(tmp_path, monkeypatch, tiny_model):
    root = tmp_path / "models"
    shutil.copytree(tiny_model, root / "tiny")
    (root / "not-a-model").mkdir()
    monkeypatch.setenv("TUNEBOARD_MODELS_DIR", str(root))
    return root


def test_the_app_model_box_accepts_default_models_folders_and_hub_ids(models_dir):
    assert resolve_model("default", allow_any_path=False).kind == "bundled"
    assert resolve_model("tfidf", allow_any_path=False).kind == "baseline"
    assert resolve_model("tiny", allow_any_path=False).location == str((models_dir / "tiny").resolve())
    listed = resolve_model(str(models_dir / "tiny"), allow_any_path=False)  # what the picker fills in
    assert listed.kind == "local"
    assert describe_model("tiny", allow_any_path=False).parameters > 0
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2", allow_any_path=False).kind == "hub"


@pytest.mark.parametrize("probe", ["{home}", "{outside}", "{outside}/nope", "/etc", "../", "../../etc",
                                   "tiny/../../outside", "~/.ssh", "{models}/not-a-model", "{models}"])
def test_the_app_model_box_refuses_other_paths_without_saying_whether_they_exist(models_dir, tmp_path, probe):
    outside = tmp_path / "outside"
    build = outside / "model"
    shutil.copytree(models_dir / "tiny", build)  # a real model, but outside the models folder
    text = probe.format(home=str(Path.home()), outside=str(build), models=str(models_dir))
    with pytest.raises(ModelLoadError) as caught:
        resolve_model(text, allow_any_path=False)
    message = str(caught.value)
    assert "cannot be used here" in message
    assert "folder but holds no model" not in message and "does not exist" not in message
    with pytest.raises(ModelLoadError) as missing:
        resolve_model("/no/such/place", allow_any_path=False)
    assert message == str(missing.value).replace("/no/such/place", text)  # the same words, whatever is there


def test_the_cli_still_trains_from_any_folder(tiny_model):
    assert resolve_model(tiny_model).kind == "local"


def _foreign_run(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"data": "secret.csv"}))
    return folder


@pytest.mark.parametrize("bad", ["../x", "/tmp", "..", ".", "", "a/b", "x/../..", ".hidden", "run\x00id"])
def test_a_run_id_from_a_browser_opens_only_a_run_under_the_runs_root(tmp_path, bad):
    _foreign_run(tmp_path / "x")
    with pytest.raises(RunError):
        run_by_id(bad)


def test_an_absolute_path_to_a_foreign_folder_is_not_a_run_id(tmp_path, sentiment_csv):
    foreign = _foreign_run(tmp_path / "elsewhere" / "20250101-000000-x-abcd")
    with pytest.raises(RunError):
        run_by_id(str(foreign))
    run = create_run(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    assert run_by_id(run.run_id).path == run.path
    assert open_run(str(foreign)).path == foreign  # the CLI may still pass a run folder's path
