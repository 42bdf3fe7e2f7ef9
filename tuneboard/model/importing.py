"""Bring a pretrained model onto a server without internet: an admin gives a folder or a .zip of one
(what ``hf download <id> --local-dir <folder>`` writes on a machine with internet), and it lands in the
models folder, where the Train page lists it.

Weights come as safetensors only (a JSON header and raw numbers): a pickle (``pytorch_model.bin``,
``.pt``, ``.ckpt``) runs whatever code it names when loaded, and so does a model that asks for its own
Python (``auto_map``, ``*.py``). Only files of known safe kinds are copied; anything else is refused by
name. The model is checked in a hidden folder beside its destination and moved into place with one
rename, so the list never shows half a model.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from tuneboard.errors import ModelLoadError, PermissionDenied
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles
from tuneboard.team.access import User

SAFE_SUFFIXES = (".json", ".safetensors", ".txt", ".model", ".md")  # .model: a sentencepiece protobuf, data only
MAX_IMPORT_BYTES = 8 * 2**30  # a zip that unpacks to more is refused before a byte is written
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
RESERVED = {"runs", "exports", "uploads", "datasets", "deployments", "cache", "prefs"}
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "spiece.model", "sentencepiece.bpe.model", "vocab.json")


def import_model(source: str | Path, name: str, user: User, models_dir: Path | None = None) -> Path:
    """Copy the model in ``source`` (a folder or a .zip) to ``<models>/<name>`` after checking it; the new folder.

    Refused: a user who is not an admin, a name that is taken or not a plain folder name, a zip entry that
    leaves the folder or is a link, a symlink in a folder, any file that is not config, tokenizer or
    safetensors weights (pickles, ``.py``), ``auto_map`` (custom code), and a model that transformers
    cannot load without remote code."""
    from tuneboard.model.catalog import models_dir as default_models_dir

    if not user.is_admin:
        raise PermissionDenied(t("zhmodel.import.err.admin_only"))
    name = str(name).strip()
    if not NAME.fullmatch(name) or name.lower() in RESERVED:
        raise ModelLoadError(t("zhmodel.import.err.name", name=name))
    root = Path(models_dir or default_models_dir())
    target = root / name
    if target.exists():
        raise ModelLoadError(t("zhmodel.import.err.exists", name=name))
    source = Path(source)
    if not source.exists():
        raise ModelLoadError(t("zhmodel.import.err.missing", source=source.name))
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".import-", dir=root))  # hidden: the model list skips it
    try:
        staged = work / "model"
        if source.is_dir():
            _copy_folder(source, staged)
        elif zipfile.is_zipfile(source):
            _unpack_zip(source, staged)
        else:
            raise ModelLoadError(t("zhmodel.import.err.kind", source=source.name))
        staged = _single_top_folder(staged)
        check_model_folder(staged)
        try:
            os.rename(staged, target)  # atomic; fails if someone took the name meanwhile
        except OSError:
            raise ModelLoadError(t("zhmodel.import.err.exists", name=name)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def check_model_folder(folder: Path) -> None:
    """Raise ``ModelLoadError`` unless ``folder`` is a safetensors model with a tokenizer that loads without
    remote code (the same loaders a run uses: ``trust_remote_code=False``)."""
    from tuneboard.model.catalog import ModelSource, load_model_config, load_tokenizer

    files = [p for p in folder.rglob("*") if p.is_file()]
    bad = [p.name for p in files if not p.name.endswith(SAFE_SUFFIXES)]
    if bad:
        raise ModelLoadError(t("zhmodel.import.err.unsafe_file", files=", ".join(sorted(bad)[:5])))
    config = _json(folder / ModelFiles.CONFIG)
    if not isinstance(config, dict) or "model_type" not in config:
        raise ModelLoadError(t("zhmodel.import.err.no_config"))
    if any("auto_map" in (_json(p) or {}) for p in folder.glob("*.json") if isinstance(_json(p), dict)):
        raise ModelLoadError(t("zhmodel.import.err.custom_code"))
    if not any(folder.glob("*.safetensors")):
        raise ModelLoadError(t("zhmodel.import.err.no_weights"))
    if not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise ModelLoadError(t("zhmodel.import.err.no_tokenizer"))
    source = ModelSource(str(folder), str(folder), "local", folder.name)
    load_model_config(source)
    load_tokenizer(source)
    _check_weights(folder)


def _check_weights(folder: Path) -> None:
    from safetensors import safe_open

    for path in folder.glob("*.safetensors"):
        try:
            with safe_open(str(path), framework="pt") as weights:
                for key in weights.keys():
                    weights.get_slice(key).get_shape()
        except Exception as e:  # noqa: BLE001 -- a truncated or foreign file: one message, no traceback
            raise ModelLoadError(t("zhmodel.import.err.weights", file=path.name, reason=type(e).__name__)) from None


def _copy_folder(source: Path, staged: Path) -> None:
    """Copy regular files only; a symlink anywhere is refused (it could point at any file of the server)."""
    staged.mkdir()
    total = 0
    for top, dirs, names in os.walk(source):  # never follows a symlinked folder
        here = Path(top)
        for d in dirs:
            if (here / d).is_symlink():
                raise ModelLoadError(t("zhmodel.import.err.link", entry=d))
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .cache/ of `hf download`: bookkeeping
        for n in names:
            path = here / n
            if not stat.S_ISREG(os.lstat(path).st_mode):
                raise ModelLoadError(t("zhmodel.import.err.link", entry=n))
            if n.startswith("."):
                continue  # .gitattributes and download bookkeeping: not part of the model
            total += path.stat().st_size
            if total > MAX_IMPORT_BYTES:
                raise ModelLoadError(t("zhmodel.import.err.too_big", gb=MAX_IMPORT_BYTES // 2**30))
            dest = staged / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest, follow_symlinks=False)


def _unpack_zip(source: Path, staged: Path) -> None:
    """Unpack after checking every entry: no absolute path, no '..', no link, not more than MAX_IMPORT_BYTES."""
    staged.mkdir()
    with zipfile.ZipFile(source) as zf:
        entries = zf.infolist()
        for info in entries:
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if not parts or info.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                raise ModelLoadError(t("zhmodel.import.err.traversal", entry=info.filename))
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ModelLoadError(t("zhmodel.import.err.link", entry=info.filename))
        if sum(i.file_size for i in entries) > MAX_IMPORT_BYTES:
            raise ModelLoadError(t("zhmodel.import.err.too_big", gb=MAX_IMPORT_BYTES // 2**30))
        for info in entries:
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue
            dest = staged.joinpath(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(dest, "xb") as out:
                shutil.copyfileobj(src, out)


def _single_top_folder(staged: Path) -> Path:
    """A zip of a folder holds ``<name>/config.json``: the model is that folder."""
    if (staged / ModelFiles.CONFIG).is_file():
        return staged
    entries = list(staged.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / ModelFiles.CONFIG).is_file():
        return entries[0]
    raise ModelLoadError(t("zhmodel.import.err.no_config"))


def _json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
