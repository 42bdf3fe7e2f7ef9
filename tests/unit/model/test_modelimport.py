"""An admin brings a model onto a server without internet: safetensors, config and tokenizer only; a pickle,
custom code, a zip entry that leaves its folder, a link, or a non-admin is refused, and nothing is left behind."""
from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from tuneboard.errors import ModelLoadError, PermissionDenied
from tuneboard.model.catalog import describe_model, list_local_models
from tuneboard.model.importing import import_model
from tuneboard.team.access import LOCAL, User


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("TUNEBOARD_MODELS_DIR", str(folder))
    return folder


@pytest.fixture
def download(tiny_model: str, tmp_path: Path) -> Path:
    """What `hf download` writes: the model, README, .gitattributes and its .cache bookkeeping."""
    folder = tmp_path / "download" / "rbt3"
    shutil.copytree(tiny_model, folder)
    (folder / "README.md").write_text("# card")
    (folder / ".gitattributes").write_text("*.safetensors filter=lfs")
    (folder / ".cache" / "huggingface").mkdir(parents=True)
    (folder / ".cache" / "huggingface" / "x.lock").write_text("")
    return folder


def zip_of(folder: Path, path: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for f in folder.rglob("*"):
            if f.is_file():
                zf.write(f, f"{folder.name}/{f.relative_to(folder)}")
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def only_models(models: Path) -> list[str]:
    return sorted(p.name for p in models.iterdir())


def test_a_safetensors_folder_is_imported_and_listed(models: Path, download: Path) -> None:
    target = import_model(download, "rbt3", LOCAL)
    assert target == models / "rbt3" and only_models(models) == ["rbt3"]
    assert [m.name for m in list_local_models()] == ["rbt3"]
    assert not (target / ".gitattributes").exists() and not (target / ".cache").exists()
    assert describe_model(str(target), allow_any_path=False).parameters > 0


def test_a_zip_of_the_folder_is_imported(models: Path, download: Path, tmp_path: Path) -> None:
    target = import_model(zip_of(download, tmp_path / "rbt3.zip"), "zh-small", LOCAL)
    assert (target / "config.json").is_file() and [m.name for m in list_local_models()] == ["zh-small"]


@pytest.mark.parametrize("planted, message", [
    ("pytorch_model.bin", "Refused: pytorch_model.bin"),
    ("weights.pt", "Refused: weights.pt"),
    ("modeling_evil.py", "Refused: modeling_evil.py"),
])
def test_pickles_and_python_files_are_refused(models: Path, download: Path, planted: str, message: str) -> None:
    (download / planted).write_bytes(b"\x80\x04anything")
    with pytest.raises(ModelLoadError, match=message):
        import_model(download, "rbt3", LOCAL)
    assert only_models(models) == []  # nothing half-imported, no temp folder left


def test_a_model_that_asks_for_its_own_code_is_refused(models: Path, download: Path) -> None:
    config = json.loads((download / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (download / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="auto_map"):
        import_model(download, "rbt3", LOCAL)
    assert only_models(models) == []


def test_weights_only_as_bin_are_refused_by_name(models: Path, download: Path) -> None:
    (download / "model.safetensors").rename(download / "pytorch_model.bin")
    with pytest.raises(ModelLoadError, match="pytorch_model.bin"):
        import_model(download, "rbt3", LOCAL)


def test_a_zip_entry_that_leaves_the_folder_is_refused_and_nothing_is_written(models: Path, download: Path,
                                                                             tmp_path: Path) -> None:
    bad = zip_of(download, tmp_path / "bad.zip", {"../../evil.txt": b"x"})
    with pytest.raises(ModelLoadError, match=r"'\.\./\.\./evil\.txt' would be written outside"):
        import_model(bad, "rbt3", LOCAL)
    assert only_models(models) == [] and not (tmp_path / "evil.txt").exists()
    absolute = zip_of(download, tmp_path / "abs.zip", {"/etc/evil": b"x"})
    with pytest.raises(ModelLoadError, match="outside"):
        import_model(absolute, "rbt3", LOCAL)


def test_links_are_refused_in_a_zip_and_in_a_folder(models: Path, download: Path, tmp_path: Path) -> None:
    link = zipfile.ZipInfo("rbt3/vocab.txt")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = zip_of(download, tmp_path / "link.zip")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(ModelLoadError, match="is a link"):
        import_model(path, "rbt3", LOCAL)
    os.symlink("/etc/passwd", download / "vocab.txt")
    with pytest.raises(ModelLoadError, match="is a link"):
        import_model(download, "rbt3", LOCAL)
    assert only_models(models) == []


def test_only_an_admin_may_import(models: Path, download: Path) -> None:
    with pytest.raises(PermissionDenied, match="Only an admin"):
        import_model(download, "rbt3", User("bob@example.com"))
    assert only_models(models) == []
    assert import_model(download, "rbt3", User("ann@example.com", is_admin=True)).is_dir()


def test_a_taken_or_odd_name_is_refused(models: Path, download: Path) -> None:
    import_model(download, "rbt3", LOCAL)
    with pytest.raises(ModelLoadError, match="already in the models folder"):
        import_model(download, "rbt3", LOCAL)
    for name in ("../up", "runs", ".hidden", ""):
        with pytest.raises(ModelLoadError, match="cannot be a model's name"):
            import_model(download, name, LOCAL)
    assert only_models(models) == ["rbt3"]


def test_a_folder_that_is_no_model_is_refused(models: Path, tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    with pytest.raises(ModelLoadError, match="No config.json"):
        import_model(tmp_path / "notes", "notes", LOCAL)
    (tmp_path / "notes.csv").write_text("a,b")
    with pytest.raises(ModelLoadError, match="neither a folder nor a .zip"):
        import_model(tmp_path / "notes.csv", "notes", LOCAL)
