"""Study folders: the durable record of a hyperparameter search, readable without importing Optuna.

    models/studies/<study_id>/study.json   what was searched, every trial (its run, status, score), the best run
    models/optuna.db                       Optuna's own storage of every study (what the sampler and pruner read)

Each trial is a normal run folder under ``models/runs`` whose ``config.json`` names its study and trial
(``search = SearchSpec(study, trial)``), so the Runs, Compare and Evaluate pages work on it as on any run.

Whether a study still runs is told by a heartbeat in its folder, as for runs (liveness.py), not by the PID in
``study.json``: in a container the server is PID 1 before and after a restart, so a dead study's PID is alive.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tuneboard.errors import RunError
from tuneboard.files import create_private, write_json_atomic
from tuneboard.i18n import t
from tuneboard.paths import workspace
from tuneboard.protocol import ACTIVE, RunStatus, TrialStatus, parse_status
from tuneboard.runs.liveness import alive, stale_s
from tuneboard.team.access import LOCAL_ID

STUDY_FILE = "study.json"


def studies_root() -> Path:
    """``models/studies`` (beside the runs folder, so tests with a private runs folder get private studies)."""
    return workspace().studies


def storage_url() -> str:
    """Optuna's RDB storage: one SQLite file beside the runs folder, shared by every study (made 0600 here
    before Optuna first opens it: it holds every search's settings)."""
    return f"sqlite:///{create_private(workspace().optuna_db).resolve()}"


@dataclass
class TrialRecord:
    """One trial: the run it made, where it stands, its score, the settings it tried."""

    number: int
    run_id: str | None
    status: TrialStatus
    params: dict[str, Any]
    value: float | None = None  # the main metric of the kept model (or, when pruned, of its last evaluation)
    evaluations: int = 0  # how many evaluations it reported before it ended or was pruned
    seconds: float | None = None

    def __post_init__(self) -> None:
        self.status = TrialStatus(self.status)


@dataclass
class StudyRecord:
    """``study.json``: a search's settings, its trials, its best run."""

    study_id: str
    metric: str
    direction: str  # "maximize" or "minimize"
    base: dict[str, Any]  # the TrainConfig every trial starts from
    space: list[dict[str, Any]]
    budget: dict[str, Any]  # {"trials": N or None, "minutes": M or None}
    status: RunStatus = RunStatus.RUNNING
    reason: str | None = None
    trials: list[TrialRecord] = field(default_factory=list)
    best_run_id: str | None = None
    best_value: float | None = None
    best_params: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float | None = None
    pid: int = field(default_factory=os.getpid)  # who ran it last, for people; liveness is the heartbeat
    owner: str = LOCAL_ID  # who started it (``access``): only they or an admin may stop it

    def __post_init__(self) -> None:
        self.status = parse_status(self.status)
        self.trials = [t if isinstance(t, TrialRecord) else TrialRecord(**t) for t in self.trials]

    @property
    def path(self) -> Path:
        return studies_root() / self.study_id

    def counts(self) -> dict[str, int]:
        """Trials per status (``{"complete": 4, "pruned": 2}``)."""
        out: dict[str, int] = {}
        for trial in self.trials:
            out[trial.status.value] = out.get(trial.status.value, 0) + 1
        return out

    def run_ids(self) -> list[str]:
        """The runs of the study, best first, then by trial number."""
        ids = [t.run_id for t in sorted(self.trials, key=lambda t: t.number) if t.run_id]
        if self.best_run_id in ids:
            ids.remove(self.best_run_id)
            ids.insert(0, self.best_run_id)
        return ids

    def save(self) -> None:
        """Write ``study.json`` atomically."""
        self.updated_at = time.time()
        write_json_atomic(self.path / STUDY_FILE, asdict(self), default=str)


def load_study(study_id: str) -> StudyRecord:
    """A study by id; a running study that nobody beats for (its process ended) reads as interrupted."""
    path = studies_root() / Path(study_id).name / STUDY_FILE
    try:
        record = StudyRecord(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        raise RunError(t("engine.err.search.no_study", study_id=study_id, file=STUDY_FILE,
                         folder=str(studies_root()))) from None
    if record.status in ACTIVE and not alive(record.path):
        record.status = RunStatus.INTERRUPTED
        record.reason = t("engine.study.interrupted", seconds=stale_s())
    return record


def list_studies() -> list[StudyRecord]:
    """Every readable study, newest first."""
    root = studies_root()
    if not root.is_dir():
        return []
    found = []
    for p in sorted(root.iterdir(), reverse=True):
        if (p / STUDY_FILE).is_file():
            try:
                found.append(load_study(p.name))
            except RunError:
                continue
    return found


def best_runs() -> dict[str, str]:
    """run id -> study id, for every study's best run (the "best of study" badge)."""
    return {s.best_run_id: s.study_id for s in list_studies() if s.best_run_id}

