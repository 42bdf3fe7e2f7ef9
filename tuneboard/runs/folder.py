"""Run folders: the durable record of every run, readable while the run is still going.

    models/runs/<run_id>/
        config.json      the TrainConfig
        status.json      a protocol.RunStatus (+ reason, times, pid): the run's status on disk
        history.jsonl    one protocol event per line, appended as it happens
        metrics.json     validation metrics of the kept model
        predictions.parquet  per-example validation predictions
        model/           model + tokenizer (save_pretrained, safetensors) and README.md, its model card (card.py)
        receipt.json     what rebuilds the run: data hashes, settings, versions, machine (receipt.py)
        gate.json        a retrained run's gate: settings, verdict and numbers (lifecycle/retrain.py)
"""
from __future__ import annotations

import getpass
import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneboard.config import TrainConfig
from tuneboard.errors import RunError
from tuneboard.files import DIR_MODE, locked, open_private, private_dir, write_json_atomic
from tuneboard.files import jsonable as _jsonable
from tuneboard.i18n import DEFAULT, Said, from_record, retell, said, t, to_record
from tuneboard.paths import RUNS_DIR, RunFiles, runs_root  # noqa: F401 -- part of this module's surface
from tuneboard.protocol import ACTIVE, FINAL, RunStatus, parse_status
from tuneboard.runs.liveness import alive, stale_s, worker_of
from tuneboard.team.access import LOCAL, User, check, record_owner

RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


@dataclass
class RunDir:
    """One run folder. Writing is append-only for history and atomic for the JSON files."""

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._lock = threading.Lock()

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def model_dir(self) -> Path:
        return self.path / RunFiles.MODEL

    # -- writing ---------------------------------------------------------------------------
    def write_json(self, name: str, data: Any) -> None:
        """Atomic (unique temp file, fsync, rename): readers never see half a file."""
        write_json_atomic(self.path / name, data)

    def set_status(self, status: RunStatus | str, reason: str | None = None, **extra: Any) -> dict[str, Any]:
        """Write the run's status (the one record of it on disk), with its reason and times."""
        status = RunStatus(status)
        with self._lock, locked(self.path):
            current = self.status() if (self.path / RunFiles.STATUS).exists() else {}
            now = time.time()
            current.update(status=status, reason=retell(reason, DEFAULT), updated_at=now, pid=os.getpid(), **extra)
            # a catalog text is kept as its key and values too, to be read in each reader's language; the
            # English text stays beside it for older readers and for anyone reading the file
            current.pop("reason_code", None)
            if isinstance(reason, Said):
                current["reason_code"] = to_record(reason)
            if status == RunStatus.RUNNING and "started_at" not in current:
                current["started_at"] = now
            if status in FINAL:
                current["ended_at"] = now
            self.write_json(RunFiles.STATUS, current)
            return current

    def append_event(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False, default=_jsonable)
        with self._lock, open_private(self.path / RunFiles.HISTORY, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    # -- reading ---------------------------------------------------------------------------
    def config(self) -> TrainConfig:
        return TrainConfig.load(self.path / RunFiles.CONFIG)

    def status(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / RunFiles.STATUS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"status": RunStatus.UNKNOWN, "reason": t("engine.reason.status_unreadable")}
        data["status"] = parse_status(data.get("status"))
        data["reason"] = said_reason(data)
        # Liveness by the worker's heartbeat and the identity of the process that beats (liveness.working);
        # a queued run waits in the durable queue (store.py).
        if data["status"] in (RunStatus.RUNNING, RunStatus.STOPPING) and not alive(self.path):
            data["status"] = RunStatus.INTERRUPTED
            worker = worker_of(self.path)
            data["reason"] = (said("journeys.run.process_ended") if worker is not None and worker.gone() else
                              said("engine.run.stale", seconds=f"{stale_s():.0f}"))
        return data

    def raw_status(self) -> RunStatus:
        """The status as written in ``status.json``, before the liveness check."""
        try:
            return parse_status(json.loads((self.path / RunFiles.STATUS).read_text(encoding="utf-8")).get("status"))
        except (OSError, ValueError, AttributeError):
            return RunStatus.UNKNOWN

    def history(self) -> list[dict[str, Any]]:
        return read_history(self.path / RunFiles.HISTORY)

    def metrics(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.path / RunFiles.METRICS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def summary(self) -> dict[str, Any]:
        """One row of the runs table."""
        st = self.status()
        try:
            cfg, damaged = self.config().to_dict(), False
        except Exception:  # a half-written or foreign folder still gets listed, flagged
            cfg, damaged = {}, True
        m = self.metrics() or {}
        return {"run_id": self.run_id, "status": st.get("status"), "reason": st.get("reason"), "damaged": damaged,
                "model": cfg.get("model"), "data": Path(str(cfg.get("data", ""))).name, "task": m.get("task"),
                "preset": cfg.get("preset"), "started_at": st.get("started_at"), "ended_at": st.get("ended_at"),
                "duration_s": _duration(st), "main_metric": m.get("main_metric"),
                "main_value": m.get(m.get("main_metric", ""), None), "path": str(self.path)}


def said_reason(status: dict[str, Any]) -> str | None:
    """A ``status.json``'s reason in the current language: from its key and values when it has them; a reason
    written before they were kept (English text), or one that is not the catalog's, as written."""
    code = status.get("reason_code")
    if isinstance(code, dict) and isinstance(code.get("key"), str):
        try:
            return from_record(code)
        except (KeyError, IndexError, ValueError, TypeError):  # values that no longer fit the text
            pass
    return status.get("reason")


def read_history(path: Path) -> list[dict[str, Any]]:
    """Events from a history file; a torn last line (being written right now) is skipped."""
    events = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue
    except OSError:
        pass
    return events


def create_run(config: TrainConfig, owner: str | None = None) -> RunDir:
    """Make a new run folder with ``config.json``, ``owner.json`` and a ``queued`` status. The owner is the
    signed-in user for a run queued by the server, else the operating-system user (a CLI run)."""
    parent = Path(config.output_dir) if config.output_dir else runs_root()
    stem = _slug(config.run_name or f"{Path(str(config.data)).stem}-{config.model_label}")
    run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{stem}-{secrets.token_hex(2)}"
    path = parent / run_id
    try:
        private_dir(parent)
        path.mkdir(mode=DIR_MODE)  # 0700: whatever a library writes inside, nobody else can read it
    except OSError as e:
        raise RunError(t("engine.err.run.cannot_create", path=path, reason=e.strerror)) from None
    run = RunDir(path)
    config.save(path / RunFiles.CONFIG)
    record_owner(path, owner or _os_user())
    run.set_status(RunStatus.QUEUED)
    return run


def open_run(path_or_id: str | Path) -> RunDir:
    """A run folder by path or by run id (under the runs root). For the CLI and for paths the
    engine itself listed; an id from a browser goes through ``run_by_id``."""
    p = Path(path_or_id)
    for candidate in (p, runs_root() / str(path_or_id)):
        if (candidate / RunFiles.CONFIG).is_file():
            return RunDir(candidate)
    raise RunError(t("engine.err.run.not_a_run", path=path_or_id))


def is_run_id(text: str) -> bool:
    """A plain folder name (no separator, not hidden, not '.' or '..'), as ``create_run`` makes them."""
    return bool(RUN_ID.fullmatch(str(text)))


def run_by_id(run_id: str) -> RunDir:
    """The run ``run_id`` under the runs root, and nothing else: for ids that come from a browser
    (``?run=``), which must never name a path."""
    if not is_run_id(run_id) or not (runs_root() / run_id / RunFiles.CONFIG).is_file():
        raise RunError(t("engine.err.run.no_run", run_id=str(run_id)[:80]))
    return RunDir(runs_root() / run_id)


def list_runs(root: Path | None = None) -> list[RunDir]:
    """Every run folder, newest first."""
    root = Path(root or runs_root())
    if not root.is_dir():
        return []
    found = [RunDir(p) for p in root.iterdir() if (p / RunFiles.CONFIG).is_file()]
    return sorted(found, key=lambda r: r.path.name, reverse=True)


def delete_run(run: RunDir, user: User = LOCAL) -> None:
    """Delete the run folder (``purge.delete_for_good`` also removes what was derived from it); only its
    owner or an admin may (``PermissionDenied``)."""
    check_deletable(run, user)
    shutil.rmtree(run.path, ignore_errors=False)


def check_deletable(run: RunDir, user: User = LOCAL) -> None:
    """Raise unless ``user`` may delete ``run`` now: ``PermissionDenied`` for a teammate, ``RunError``
    while it trains."""
    check(user, "delete", run.path)
    if run.status().get("status") in ACTIVE:
        raise RunError(t("engine.err.run.still_active", run_id=run.run_id))


def _duration(st: dict[str, Any]) -> float | None:
    start = st.get("started_at")
    if not start:
        return None
    return (st.get("ended_at") or time.time()) - start


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container user with no passwd entry and no $USER
        return "local"


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._").lower()
    return s[:40] or "run"

