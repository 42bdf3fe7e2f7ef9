"""Named models in the queue's database: names, their versions (each a finished run), the ``production`` and
``candidate`` aliases, how the candidate gets traffic (shadow or canary), and an append-only history.

The tables live in the same SQLite file as the queue (``runs.store.db_path``: ``TUNEBOARD_DB``), so one backup
holds both and a server that serves a name reads the same truth the app writes. Each change is one
``BEGIN IMMEDIATE`` transaction: two people promoting at once get versions 3 and 4, never two 3s. The history
table refuses UPDATE and DELETE (triggers), so who did what stays on record.

Who may: a name belongs to whoever first promoted to it; changing it (a new version, an alias, a rollback,
the candidate's traffic) is the owner's or an admin's call, and promoting a run also needs the right to deploy
that run (``team.access``, the same rules as for runs).
"""
from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneboard.errors import ConfigError, RunError
from tuneboard.files import create_private
from tuneboard.i18n import t
from tuneboard.protocol import HAS_MODEL
from tuneboard.runs.folder import open_run
from tuneboard.runs.store import connect, db_path, transaction
from tuneboard.team.access import LOCAL, User, check, require

PRODUCTION, CANDIDATE = "production", "candidate"
ALIASES = (PRODUCTION, CANDIDATE)
SHADOW, CANARY = "shadow", "canary"
TRAFFIC = (SHADOW, CANARY)
ACTIONS = ("promote", "alias", "clear", "rollback", "traffic")  # what the history records (registry.action.<action>)
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # a name goes into URLs, headers and file names
SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at REAL NOT NULL,
    traffic TEXT NOT NULL DEFAULT 'shadow',  -- how the candidate sees live traffic: shadow or canary
    canary_percent INTEGER NOT NULL DEFAULT 10
);
CREATE TABLE IF NOT EXISTS model_versions (
    name TEXT NOT NULL REFERENCES models (name),
    version INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    run_path TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at REAL NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS model_aliases (
    name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, alias)
);
CREATE TABLE IF NOT EXISTS model_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    action TEXT NOT NULL,                    -- promote, alias, clear, rollback, traffic
    alias TEXT,
    from_version INTEGER,
    to_version INTEGER,
    user TEXT NOT NULL,
    at REAL NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS model_history_no_update BEFORE UPDATE ON model_history
    BEGIN SELECT RAISE(ABORT, 'model_history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS model_history_no_delete BEFORE DELETE ON model_history
    BEGIN SELECT RAISE(ABORT, 'model_history is append-only'); END;
"""


@dataclass(frozen=True)
class Version:
    """One version of a named model: which run it is, who promoted it, when, and its aliases now."""

    name: str
    version: int
    run_id: str
    run_path: str
    created_by: str
    created_at: float
    note: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``name/version``: what the API's ``X-Model-Version`` header says."""
        return f"{self.name}/{self.version}"


@dataclass(frozen=True)
class Model:
    """A name, its owner, its versions (oldest first), its aliases and how the candidate sees traffic."""

    name: str
    owner: str
    created_at: float
    versions: tuple[Version, ...]
    aliases: dict[str, int]
    traffic: str = SHADOW
    canary_percent: int = 10

    def alias(self, alias: str) -> Version | None:
        number = self.aliases.get(alias)
        return next((v for v in self.versions if v.version == number), None)


@dataclass(frozen=True)
class Event:
    """One line of a name's history."""

    seq: int
    name: str
    action: str
    alias: str | None
    from_version: int | None
    to_version: int | None
    user: str
    at: float
    note: str


class Registry:
    """The registry tables of the database at ``path`` (default: the queue's). A connection per call."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else db_path()
        create_private(self.path)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> Any:
        return connect(self.path)  # the queue's database, opened the queue's way

    def _write(self) -> Any:
        return transaction(self.path)

    # -- changes -------------------------------------------------------------------------------------
    def promote(self, run: str | Path, name: str, user: User = LOCAL, alias: str | None = None,
                note: str = "") -> Version:
        """Make the finished run ``run`` (an id or a folder) the next version of ``name`` (made when new, owned by
        ``user``), and give it ``alias`` when one is named."""
        check_name(name)
        if alias is not None:
            check_alias(alias)
        folder = open_run(run)
        status = folder.status().get("status")
        if status not in HAS_MODEL or not folder.model_dir.is_dir():
            raise RunError(t("registry.err.unfinished", run=folder.run_id, status=str(status)))
        check(user, "deploy", folder.path)
        now = time.time()
        with self._write() as db:
            row = db.execute("SELECT owner FROM models WHERE name = ?", (name,)).fetchone()
            if row is None:
                db.execute("INSERT INTO models (name, owner, created_at) VALUES (?, ?, ?)", (name, user.id, now))
            else:
                require(user, "deploy", row["owner"])
            same = db.execute("SELECT version FROM model_versions WHERE name = ? AND run_id = ?",
                              (name, folder.run_id)).fetchone()
            if same is not None:
                raise ConfigError(t("registry.err.already", run=folder.run_id, name=name, version=same["version"]))
            number = db.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = ?",
                                (name,)).fetchone()[0]
            db.execute("INSERT INTO model_versions (name, version, run_id, run_path, created_by, created_at, note) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (name, number, folder.run_id, str(folder.path.resolve()),
                                                        user.id, now, note))
            _log(db, name, "promote", None, None, number, user, note)
            if alias is not None:
                _move_alias(db, name, alias, number, user, "alias")
        _mirror(self, name)
        return self.version(name, number)

    def set_alias(self, name: str, version: int, alias: str, user: User = LOCAL, note: str = "") -> Version:
        """Point ``alias`` of ``name`` at ``version`` (the gate uses this to make a run the candidate)."""
        check_alias(alias)
        with self._write() as db:
            self._require_owner(db, name, user)
            self._require_version(db, name, version)
            _move_alias(db, name, alias, int(version), user, "alias", note)
        _mirror(self, name)
        return self.version(name, int(version))

    def clear_alias(self, name: str, alias: str, user: User = LOCAL) -> None:
        """Take ``alias`` off ``name`` (no candidate any more: the shadow stops)."""
        check_alias(alias)
        with self._write() as db:
            self._require_owner(db, name, user)
            row = db.execute("SELECT version FROM model_aliases WHERE name = ? AND alias = ?", (name, alias)).fetchone()
            if row is None:
                return
            db.execute("DELETE FROM model_aliases WHERE name = ? AND alias = ?", (name, alias))
            _log(db, name, "clear", alias, row["version"], None, user)

    def rollback(self, name: str, user: User = LOCAL, to: int | None = None) -> Version:
        """Make ``to`` (default: the version production had before the current one) production again."""
        with self._write() as db:
            self._require_owner(db, name, user)
            current = _alias_of(db, name, PRODUCTION)
            if to is None:
                to = _previous_production(db, name, current)
                if to is None:
                    raise RunError(t("registry.err.no_previous", name=name))
            self._require_version(db, name, int(to))
            if int(to) == current:
                raise ConfigError(t("registry.err.already_production", name=name, version=to))
            _move_alias(db, name, PRODUCTION, int(to), user, "rollback")
        _mirror(self, name)
        return self.version(name, int(to))

    def set_traffic(self, name: str, traffic: str, canary_percent: int | None = None, user: User = LOCAL) -> None:
        """How the candidate sees live traffic: ``shadow`` (a copy, never answered) or ``canary`` (a share)."""
        if traffic not in TRAFFIC:
            raise ConfigError(t("registry.err.traffic", traffic=traffic, choices=", ".join(TRAFFIC)))
        if canary_percent is not None and not 0 <= int(canary_percent) <= 100:
            raise ConfigError(t("registry.err.percent", percent=canary_percent))
        with self._write() as db:
            row = self._require_owner(db, name, user)
            percent = int(row["canary_percent"] if canary_percent is None else canary_percent)
            db.execute("UPDATE models SET traffic = ?, canary_percent = ? WHERE name = ?", (traffic, percent, name))
            _log(db, name, "traffic", None, None, None, user, f"{traffic} {percent}%")

    # -- reading -------------------------------------------------------------------------------------
    def resolve(self, name: str, alias: str = PRODUCTION) -> Version:
        """The version ``alias`` of ``name`` points at (``RunError`` when the name or the alias is not set)."""
        model = self.model(name)
        found = model.alias(alias)
        if found is None:
            raise RunError(t("registry.err.no_alias", name=name, alias=alias))
        return found

    def model(self, name: str) -> Model:
        with self._connect() as db:
            row = db.execute("SELECT * FROM models WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise RunError(t("registry.err.no_model", name=name))
            return _model(db, row)

    def list_models(self) -> list[Model]:
        """Every name, alphabetically, with its versions and aliases."""
        with self._connect() as db:
            return [_model(db, row) for row in db.execute("SELECT * FROM models ORDER BY name").fetchall()]

    def version(self, name: str, version: int) -> Version:
        found = next((v for v in self.model(name).versions if v.version == int(version)), None)
        if found is None:
            raise RunError(t("registry.err.no_version", name=name, version=version))
        return found

    def history(self, name: str) -> list[Event]:
        """What happened to ``name``, oldest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM model_history WHERE name = ? ORDER BY seq", (name,)).fetchall()
        return [Event(**dict(r)) for r in rows]

    def state(self, name: str) -> tuple[int | None, int | None, str, int]:
        """``(production, candidate, traffic, canary percent)`` in one short read: what a server polls."""
        with self._connect() as db:
            row = db.execute("SELECT traffic, canary_percent FROM models WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None, None, SHADOW, 0
            return _alias_of(db, name, PRODUCTION), _alias_of(db, name, CANDIDATE), row[0], int(row[1])

    def check_unaliased(self, run_id: str) -> None:
        """Refuse (``RunError``) when an alias of some name points at the run ``run_id``: deleting it would
        leave production (or the candidate) without its model."""
        with self._connect() as db:
            row = db.execute("SELECT a.name, a.alias, a.version FROM model_aliases a JOIN model_versions v ON "
                             "v.name = a.name AND v.version = a.version WHERE v.run_id = ? LIMIT 1",
                             (run_id,)).fetchone()
        if row is not None:
            raise RunError(t("registry.err.in_use", run=run_id, label=f"{row['name']}/{row['version']}",
                             alias=t(f"registry.alias.{row['alias']}")))

    def _require_owner(self, db: sqlite3.Connection, name: str, user: User) -> sqlite3.Row:
        row = db.execute("SELECT * FROM models WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise RunError(t("registry.err.no_model", name=name))
        require(user, "deploy", row["owner"])
        return row

    def _require_version(self, db: sqlite3.Connection, name: str, version: int) -> None:
        if db.execute("SELECT 1 FROM model_versions WHERE name = ? AND version = ?",
                      (name, int(version))).fetchone() is None:
            raise RunError(t("registry.err.no_version", name=name, version=version))


def check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ConfigError(t("registry.err.name", name=str(name)[:80]))


def check_alias(alias: str) -> None:
    if alias not in ALIASES:
        raise ConfigError(t("registry.err.alias", alias=str(alias)[:40], choices=", ".join(ALIASES)))


def _alias_of(db: sqlite3.Connection, name: str, alias: str) -> int | None:
    row = db.execute("SELECT version FROM model_aliases WHERE name = ? AND alias = ?", (name, alias)).fetchone()
    return int(row[0]) if row else None


def _move_alias(db: sqlite3.Connection, name: str, alias: str, version: int, user: User, action: str,
                note: str = "") -> None:
    before = _alias_of(db, name, alias)
    db.execute("INSERT OR REPLACE INTO model_aliases (name, alias, version) VALUES (?, ?, ?)", (name, alias, version))
    if alias == PRODUCTION and _alias_of(db, name, CANDIDATE) == version:
        # the candidate that became production is no longer a candidate: nothing to compare it with
        db.execute("DELETE FROM model_aliases WHERE name = ? AND alias = ?", (name, CANDIDATE))
        _log(db, name, "clear", CANDIDATE, version, None, user)
    _log(db, name, action, alias, before, version, user, note)


def _previous_production(db: sqlite3.Connection, name: str, current: int | None) -> int | None:
    """The version to roll back to: production's moves replayed as a stack (a promotion pushes the version it
    replaced, a rollback to it pops it), so rolling back twice from 3 goes to 2, then to 1 -- never back to 3."""
    stack: list[int] = []
    for row in db.execute("SELECT action, from_version, to_version FROM model_history WHERE name = ? AND alias = ? "
                          "AND action IN ('alias', 'rollback') ORDER BY seq", (name, PRODUCTION)):
        before, after = row["from_version"], row["to_version"]
        if row["action"] == "rollback" and stack and stack[-1] == after:
            stack.pop()
        elif before is not None and before != after:
            stack.append(int(before))
    stack = [v for v in stack if v != current]
    return stack[-1] if stack else None


def _log(db: sqlite3.Connection, name: str, action: str, alias: str | None, before: int | None, after: int | None,
         user: User, note: str = "") -> None:
    db.execute("INSERT INTO model_history (name, action, alias, from_version, to_version, user, at, note) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (name, action, alias, before, after, user.id, time.time(), note))


def _model(db: sqlite3.Connection, row: sqlite3.Row) -> Model:
    aliases = {r["alias"]: int(r["version"]) for r in
               db.execute("SELECT alias, version FROM model_aliases WHERE name = ?", (row["name"],))}
    by_version: dict[int, list[str]] = {}
    for alias, number in aliases.items():
        by_version.setdefault(number, []).append(alias)
    versions = tuple(Version(**dict(v), aliases=tuple(sorted(by_version.get(v["version"], []))))
                     for v in db.execute("SELECT * FROM model_versions WHERE name = ? ORDER BY version",
                                         (row["name"],)))
    return Model(row["name"], row["owner"], row["created_at"], versions, aliases, row["traffic"],
                 int(row["canary_percent"]))


def _mirror(registry: Registry, name: str) -> None:
    """Copy the name to MLflow's model registry when MLflow tracking is configured (never fails a change)."""
    from tuneboard.registry.mlflow_mirror import mirror

    mirror(registry.model(name))


# -- the module's functions: the registry of the queue's database ---------------------------------------
def promote(run_id: str | Path, name: str, user: User = LOCAL, alias: str | None = None, note: str = "") -> Version:
    """``Registry().promote``: the next version of ``name`` is the finished run ``run_id``."""
    return Registry().promote(run_id, name, user, alias, note)


def set_alias(name: str, version: int, alias: str, user: User = LOCAL, note: str = "") -> Version:
    """``Registry().set_alias``: e.g. ``set_alias("router", 4, "candidate", user)``."""
    return Registry().set_alias(name, version, alias, user, note)


def rollback(name: str, user: User = LOCAL, to: int | None = None) -> Version:
    """``Registry().rollback``: production goes back to the previous version (or ``to``)."""
    return Registry().rollback(name, user, to)


def resolve(name: str, alias: str = PRODUCTION) -> Version:
    """``Registry().resolve``: the version (run id, number) ``alias`` of ``name`` points at."""
    return Registry().resolve(name, alias)


def list_models() -> list[Model]:
    return Registry().list_models()


def history(name: str) -> list[Event]:
    return Registry().history(name)
