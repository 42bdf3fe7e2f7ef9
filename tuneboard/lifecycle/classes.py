"""A run's classes: what it calls them, and renaming them after training without training again.

A model only knows its classes by position; their names are words written into the run folder. So a
finished run's classes are renamed by rewriting every file that carries them, and nothing else:

    config.json                 ``classes`` (code, name, description): the run's record, and what a resume
                                and an evaluation file of codes are read with
    model/config.json           ``id2label`` / ``label2id`` (a fine-tuned model)
    model/baseline.json         ``labels`` (a TF-IDF run); baseline/baseline.json (the baseline beside a model)
    onnx/*/config.json          the ONNX exports' ``id2label`` / ``label2id``
    metrics.json                ``labels``, per-class keys, the confusion matrix's labels (the baseline's too)
    predictions.parquet         ``label``, ``predicted`` and the ``score_<name>`` columns
    monitor.sqlite              the served predictions' labels (one SQL transaction, after the files)
    checkpoints/*/state.json    the best evaluation a resume goes on from

Every new file is written and synced beside its old one first; only then are they all moved into place,
under the run folder's lock, so a reader sees the old names or the new ones. ``history.jsonl`` is a log of
what happened and keeps the names the run trained with. A deployment already serving the run answers with
the old names until it is restarted (``RenameResult.deployed`` says so).
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneboard.classnames import Classes, ClassName, check_classes
from tuneboard.errors import RunError
from tuneboard.files import FILE_MODE, jsonable, locked
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles, RunFiles
from tuneboard.protocol import ACTIVE
from tuneboard.runs.folder import RunDir, open_run
from tuneboard.runs.results import METRICS_FILE, PREDICTIONS_FILE
from tuneboard.serve.monitor import rename_labels
from tuneboard.team.access import LOCAL, User, check
from tuneboard.train.checkpoint import checkpoint_dir

CONFIG_FILE = ModelFiles.CONFIG
BASELINE_META = ModelFiles.BASELINE


@dataclass(frozen=True)
class RenameResult:
    """What a rename did: the classes now on record, the files rewritten, and whether a deployment of the run
    is serving (it keeps the old names until restarted)."""

    classes: Classes
    files: tuple[Path, ...]
    deployed: bool


def run_labels(run: RunDir) -> list[str]:
    """The run's class names in the model's order (``metrics.json``'s ``labels``); [] for regression."""
    return [str(x) for x in (run.metrics() or {}).get("labels") or []]


def run_classes(run: RunDir) -> list[ClassName]:
    """One ``ClassName`` per class of the run, in the model's order: the record in its config where there is
    one, else each label as its own code (a run trained before classes had names)."""
    try:
        record = {c.name: c for c in run.config().classes}
    except Exception:  # a torn or foreign config: the labels alone still name the classes
        record = {}
    return [record.get(name) or ClassName(name, name) for name in run_labels(run)]


def rename_classes(run_path: str | Path, classes: Iterable[Any], user: User = LOCAL) -> RenameResult:
    """Give the classes of a trained run new names (and descriptions), keyed by their codes (``run_classes``).
    Only the run's owner or an admin may (``PermissionDenied``); never while it trains (``RunError``)."""
    run = open_run(run_path)
    check(user, "rename_classes", run.path)
    with locked(run.path):
        if run.status().get("status") in ACTIVE:
            raise RunError(t("classes.err.run_active", run_id=run.run_id))
        current = run_classes(run)
        if not current:
            raise RunError(t("classes.err.no_classes", run_id=run.run_id))
        wanted = {c.code: c for c in check_classes(classes, [c.code for c in current])}
        new = [wanted.get(c.code) or ClassName(c.code, c.code) for c in current]
        check_classes(new)  # the new names together: unique, and none another class's code
        mapping = {old.name: fresh.name for old, fresh in zip(current, new, strict=True)}
        staged = _stage(run, mapping, new)
        _commit(staged)
        rename_labels(run.path, mapping)
    return RenameResult(tuple(new), tuple(path for path, _ in staged), _deployed(run))


# -- the rewrites ----------------------------------------------------------------------------------
def _stage(run: RunDir, mapping: dict[str, str], new: list[ClassName]) -> list[tuple[Path, Path]]:
    """Every rewritten file written and synced beside its original: ``[(final path, temp path)]``."""
    staged: list[tuple[Path, Path]] = []
    try:
        config = _read(run.path / CONFIG_FILE)
        config["classes"] = [c.to_dict() for c in new if c.name != c.code or c.description]
        staged.append(_staged_json(run.path / CONFIG_FILE, config))
        for path in _model_configs(run):
            staged.append(_staged_json(path, _hf_config(_read(path), mapping)))
        for path in (run.model_dir / BASELINE_META, run.path / "baseline" / BASELINE_META):
            if path.is_file():
                meta = _read(path)
                staged.append(_staged_json(path, {**meta, "labels": [mapping.get(x, x) for x in meta["labels"]]}))
        paths = [run.path / METRICS_FILE, *sorted(checkpoint_dir(run.path).glob("*/state.json"))]
        staged += [_staged_json(p, renamed(_read(p), mapping)) for p in paths if p.is_file()]
        if (run.path / PREDICTIONS_FILE).is_file():
            staged.append(_staged_predictions(run.path / PREDICTIONS_FILE, mapping))
    except BaseException:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        raise
    return staged


def _commit(staged: list[tuple[Path, Path]]) -> None:
    for path, tmp in staged:
        os.replace(tmp, path)


def renamed(data: Any, mapping: dict[str, str]) -> Any:
    """``data`` (a ``metrics.json`` or a checkpoint's state) with class names renamed wherever it holds them:
    ``labels`` lists, ``per_class`` keys, the confusion matrix's ``labels``, at any depth (the baseline's
    metrics sit inside the run's)."""
    if isinstance(data, list):
        return [renamed(x, mapping) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if key == "labels" and isinstance(value, list):
            out[key] = [mapping.get(x, x) if isinstance(x, str) else x for x in value]
        elif key == "per_class" and isinstance(value, dict):
            out[key] = {mapping.get(k, k): renamed(v, mapping) for k, v in value.items()}
        else:
            out[key] = renamed(value, mapping)
    return out


def _hf_config(config: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    id2label = {str(k): mapping.get(v, v) for k, v in (config.get("id2label") or {}).items()}
    return {**config, "id2label": id2label, "label2id": {v: int(k) for k, v in id2label.items()}}


def _model_configs(run: RunDir) -> list[Path]:
    """The transformers configs that name the classes: the model's and its ONNX exports'."""
    found = [run.model_dir / CONFIG_FILE, *sorted((run.path / RunFiles.ONNX).glob(f"*/{CONFIG_FILE}"))]
    return [p for p in found if p.is_file() and "id2label" in _read(p)]


def _staged_predictions(path: Path, mapping: dict[str, str]) -> tuple[Path, Path]:
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    frame = pd.read_parquet(path)
    for column in ("label", "predicted"):  # a multi-label row holds "a|b"; a regression's are numbers
        if column in frame.columns and not is_numeric_dtype(frame[column]):
            frame[column] = ["|".join(mapping.get(p, p) for p in str(v).split("|")) if v else v
                             for v in frame[column]]
    frame = frame.rename(columns={f"score_{old}": f"score_{new}" for old, new in mapping.items()})
    return _staged(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _staged_json(path: Path, data: Any) -> tuple[Path, Path]:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=jsonable)
    return _staged(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _staged(path: Path, write: Callable[[Path], Any]) -> tuple[Path, Path]:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, FILE_MODE)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path, tmp


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise RunError(t("classes.err.unreadable", file=path.name, reason=type(e).__name__)) from None
    if not isinstance(data, dict):
        raise RunError(t("classes.err.unreadable", file=path.name, reason="not an object"))
    return data


def _deployed(run: RunDir) -> bool:
    from tuneboard.serve.deploy import get_deployment

    try:
        return get_deployment(run.run_id) is not None
    except Exception:  # no deployment record readable: nothing to warn about
        return False
