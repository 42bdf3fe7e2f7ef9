"""What "Delete for good" removes besides the run folder: everything derived from the run.

- its prediction API: stopped first, or it would go on serving the deleted model;
- the run's export zips (``models/exports/<run_id>.zip``, and the ONNX ones);
- its deployment's record and server log, and the feedback CSV labeled from its served texts;
- the token-cache entries the run recorded (``token_cache.txt``; the ids decode back to the texts);
- the uploaded file and corrected copies the run trained on, when no other run uses them.

Only files inside Tuneboard's own folders are ever removed, whatever a run's ``config.json`` says
(a run folder may come from someone else).
"""
from __future__ import annotations

from pathlib import Path

from tuneboard.files import read_json, uploads_dir
from tuneboard.predict.token_cache import (  # noqa: F401
    CACHE_KEYS_FILE,
    cache_entries_used,
    record_cache_use,
    token_cache_dir,
)
from tuneboard.registry import Registry
from tuneboard.runs.folder import RunDir, check_deletable, delete_run, list_runs, runs_root
from tuneboard.serve import deploy, monitor
from tuneboard.serve.export import export_paths
from tuneboard.team.access import LOCAL, User


def delete_for_good(run: RunDir, user: User = LOCAL) -> list[str]:
    """Delete the run folder and everything derived from it (export zip, token-cache entries, the
    upload or corrected copy only it used); returns the paths removed, the run folder first. Only the
    run's owner or an admin may (``PermissionDenied``); its prediction API is stopped first."""
    check_deletable(run, user)  # refuses a teammate, or an active run, before anything is stopped or removed
    Registry().check_unaliased(run.run_id)  # nor the model a name's production or candidate serves
    deploy.stop_deployment(run.run_id, user=user)
    extra = derived_files(run)
    delete_run(run, user)
    return [str(run.path), *remove(extra)]


def derived_files(run: RunDir) -> list[Path]:
    """Files outside the run folder that exist only because of this run (safe to delete with it)."""
    others = [r for r in _all_runs(run) if r.path.resolve() != run.path.resolve()]
    own = [*export_paths(run), *_deployment_files(run), monitor.feedback_path(run.run_id)]
    found = [p for p in own if p.is_file()]
    shared_cache = set().union(*(cache_entries_used(r.path) for r in others)) if others else set()
    for name in sorted(cache_entries_used(run.path) - shared_cache):
        entry = token_cache_dir() / name
        if entry.is_file():
            found.append(entry)
    used_elsewhere = set().union(*(_data_files(r) for r in others)) if others else set()
    for data in sorted(_data_files(run) - used_elsewhere):
        if data.is_file() and _inside_own_folders(data):
            found.append(data)
    return found


def remove(paths: list[Path]) -> list[str]:
    """Delete ``paths`` (and an upload's now-empty hash folder); returns what was removed."""
    removed = []
    for p in paths:
        try:
            p.unlink()
        except FileNotFoundError:
            continue
        removed.append(str(p))
        if p.parent.parent == uploads_dir().resolve() and not any(p.parent.iterdir()):
            p.parent.rmdir()
    return removed


def _deployment_files(run: RunDir) -> list[Path]:
    """The deployment record and server log kept under the run's id, unless the record names another run."""
    record = deploy.record_path(run.run_id)
    try:
        served = Path(read_json(record)["run_path"]).resolve()
    except (OSError, ValueError, TypeError, KeyError):
        served = run.path.resolve()
    return [record, deploy.log_path(run.run_id)] if served == run.path.resolve() else []


def _all_runs(run: RunDir) -> list[RunDir]:
    seen: dict[Path, RunDir] = {}
    for root in {run.path.parent, runs_root()}:
        for r in list_runs(root):
            seen.setdefault(r.path.resolve(), r)
    return list(seen.values())


def _data_files(run: RunDir) -> set[Path]:
    try:
        cfg = run.config()
    except Exception:  # a damaged config names no file we could trust anyway
        return set()
    return {Path(str(p)).resolve() for p in (cfg.data, cfg.validation) if p}


def _inside_own_folders(path: Path) -> bool:
    from tuneboard.evaluate.corrections import datasets_dir

    path = path.resolve()
    return any(path.is_relative_to(root.resolve()) and path != root.resolve()
               for root in (uploads_dir(), datasets_dir()))
