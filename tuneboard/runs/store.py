"""The durable queue: every run the server queued, and where it stands, in one SQLite file.

The run folder (``status.json``) stays the record a person reads; this table is what the server needs to
survive a restart and to share one device between processes: the order of the queue, who owns each run,
which worker took it and when it last beat. Every change is one short transaction; taking the next run
is ``BEGIN IMMEDIATE`` (SQLite's write lock), so two workers, in one process or two, never take the same
run, and a run is finished once (``finish`` only moves a run that is still running).

The file is ``<runs root>/../tuneboard.db`` (``models/tuneboard.db``), or ``TUNEBOARD_DB``. WAL mode lets
pages read while a worker writes.
"""
from __future__ import annotations

import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from tuneboard.files import create_private
from tuneboard.protocol import RunStatus
from tuneboard.runs.liveness import Worker, working

S = RunStatus
RUNNING_NOW = (S.RUNNING.value, S.STOPPING.value)
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- queue order: lower goes first
    run_id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    resume INTEGER NOT NULL DEFAULT 0,       -- 1: continue from the run's checkpoint when taken
    stop_requested INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    submitted_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    heartbeat_at REAL
);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status, seq);
CREATE TABLE IF NOT EXISTS uploads (         -- who uploaded which file: the per-person upload limit
    sha TEXT NOT NULL,
    owner TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (sha, owner)
);
"""


def db_path() -> Path:
    """``TUNEBOARD_DB``, else ``tuneboard.db`` beside the runs root."""
    from tuneboard.paths import workspace

    return workspace().db


@dataclass(frozen=True)
class QueuedRun:
    """One row of the table."""

    run_id: str
    path: str
    owner: str
    status: str
    reason: str | None
    resume: bool
    stop_requested: bool
    worker: str | None
    seq: int
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the database (the queue's, which the registry shares): rows by name, a 30 s busy wait.
    isolation_level=None: no implicit transactions; writes say BEGIN IMMEDIATE themselves (``transaction``)."""
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=30000")
        yield db


@contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE), rolled back if anything raises."""
    with connect(path) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


class RunStore:
    """The ``runs`` table. A connection per call: threads never share one, and each call is short."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else db_path()
        create_private(self.path)  # who ran what, and their uploads: 0600 from the start
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> Any:
        return connect(self.path)

    def _write(self) -> Any:
        return transaction(self.path)

    # -- queue -------------------------------------------------------------------------------------
    def add(self, run_id: str, path: str | Path, owner: str) -> None:
        """Put a new run at the back of the queue."""
        with self._write() as db:
            db.execute("INSERT INTO runs (run_id, path, owner, status, submitted_at) VALUES (?, ?, ?, ?, ?)",
                       (run_id, str(path), owner, S.QUEUED.value, time.time()))

    def claim_next(self, worker: str, stale_after: float) -> QueuedRun | None:
        """Take the oldest queued run for ``worker`` (now running), or None when the queue is empty or
        another worker's run is still training (one run per device: its heartbeat is fresh)."""
        now = time.time()
        with self._write() as db:
            running = db.execute(f"SELECT * FROM runs WHERE status IN {RUNNING_NOW}").fetchall()
            if any(_working(r, stale_after, now) for r in running):
                return None
            row = db.execute("SELECT * FROM runs WHERE status = ? ORDER BY seq LIMIT 1", (S.QUEUED.value,)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE runs SET status = ?, worker = ?, started_at = COALESCE(started_at, ?), "
                       "heartbeat_at = ?, stop_requested = 0 WHERE run_id = ?",
                       (S.RUNNING.value, worker, now, now, row["run_id"]))
        return self.get(row["run_id"])

    def beat(self, run_id: str, worker: str) -> bool:
        """Record a heartbeat of ``worker``'s run; returns whether a Stop was asked for it meanwhile."""
        with self._write() as db:
            db.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ? AND worker = ?",
                       (time.time(), run_id, worker))
            row = db.execute("SELECT stop_requested FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return bool(row and row["stop_requested"])

    def finish(self, run_id: str, status: str, reason: str | None = None) -> bool:
        """Move a running run to its final ``status``; False (and nothing changes) if it was not running."""
        with self._write() as db:
            cur = db.execute(f"UPDATE runs SET status = ?, reason = ?, finished_at = ? "
                             f"WHERE run_id = ? AND status IN {RUNNING_NOW}", (status, reason, time.time(), run_id))
        return cur.rowcount == 1

    def cancel(self, run_id: str, reason: str) -> bool:
        """Take a queued run out of the queue (stopped); False if it is not queued (any more)."""
        with self._write() as db:
            cur = db.execute("UPDATE runs SET status = ?, reason = ?, finished_at = ? WHERE run_id = ? AND status = ?",
                             (S.STOPPED.value, reason, time.time(), run_id, S.QUEUED.value))
        return cur.rowcount == 1

    def request_stop(self, run_id: str) -> bool:
        """Ask the worker training ``run_id`` to stop (it reads this at its next beat)."""
        with self._write() as db:
            cur = db.execute(f"UPDATE runs SET stop_requested = 1 WHERE run_id = ? AND status IN {RUNNING_NOW}",
                             (run_id,))
        return cur.rowcount == 1

    def allow_resume(self, run_id: str) -> bool:
        """Mark a run that ended (failed with its checkpoint kept) as interrupted, so ``requeue`` takes it."""
        with self._write() as db:
            cur = db.execute(f"UPDATE runs SET status = ? WHERE run_id = ? AND status NOT IN {RUNNING_NOW} "
                             "AND status != ?", (S.INTERRUPTED.value, run_id, S.QUEUED.value))
        return cur.rowcount == 1

    def requeue(self, run_id: str, resume: bool = True) -> bool:
        """Put an interrupted run at the back of the queue again, to continue from its checkpoint."""
        with self._write() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ? AND status = ?",
                             (run_id, S.INTERRUPTED.value)).fetchone()
            if row is None:
                return False
            # A new seq puts it at the back; the row keeps its owner, path and first start time.
            db.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
            db.execute("INSERT INTO runs (run_id, path, owner, status, resume, submitted_at, started_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (run_id, row["path"], row["owner"], S.QUEUED.value,
                                                        int(resume), time.time(), row["started_at"]))
        return True

    def adopt(self, run_id: str, path: str | Path, owner: str, status: str, reason: str | None = None) -> None:
        """Record a run the table does not know (one made before the table existed, or by the CLI)."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO runs (run_id, path, owner, status, reason, submitted_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (run_id, str(path), owner, status, reason, time.time()))

    def interrupt_stale(self, stale_after: float, reason: str) -> list[QueuedRun]:
        """Mark every running run nobody trains any more as interrupted: its heartbeat is older than
        ``stale_after`` s, or its worker is known to have ended (``liveness.working``)."""
        now = time.time()
        with self._write() as db:
            rows = db.execute(f"SELECT * FROM runs WHERE status IN {RUNNING_NOW}").fetchall()
            ids = [r["run_id"] for r in rows if not _working(r, stale_after, now)]
            db.executemany("UPDATE runs SET status = ?, reason = ?, finished_at = ? WHERE run_id = ?",
                           [(S.INTERRUPTED.value, reason, time.time(), i) for i in ids])
        return [q for q in (self.get(i) for i in ids) if q is not None]

    def record_upload(self, sha: str, owner: str, path: str | Path, size: int) -> None:
        """Note that ``owner`` uploaded ``path`` (the same bytes uploaded twice count once)."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO uploads (sha, owner, path, size, created_at) VALUES (?, ?, ?, ?, ?)",
                       (sha, owner, str(path), int(size), time.time()))

    def has_upload(self, sha: str, owner: str | None = None) -> bool:
        """Whether these bytes were uploaded already (by ``owner``, or by anyone)."""
        sql, args = "SELECT 1 FROM uploads WHERE sha = ?", [sha]
        if owner is not None:
            sql, args = sql + " AND owner = ?", [*args, owner]
        with self._connect() as db:
            return db.execute(sql, args).fetchone() is not None

    def upload_bytes(self, owner: str) -> int:
        """Bytes of ``owner``'s uploads still on disk."""
        with self._connect() as db:
            rows = db.execute("SELECT path, size FROM uploads WHERE owner = ?", (owner,)).fetchall()
        return sum(r["size"] for r in rows if Path(r["path"]).is_file())

    # -- reading -----------------------------------------------------------------------------------
    def get(self, run_id: str) -> QueuedRun | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return _row(row) if row else None

    def queued(self, owner: str | None = None) -> list[QueuedRun]:
        """The queue in order (of one owner when given)."""
        sql, args = "SELECT * FROM runs WHERE status = ?", [S.QUEUED.value]
        if owner is not None:
            sql, args = sql + " AND owner = ?", [*args, owner]
        with self._connect() as db:
            return [_row(r) for r in db.execute(sql + " ORDER BY seq", args).fetchall()]

    def owned(self, owner: str) -> list[QueuedRun]:
        """Every run of ``owner`` on record."""
        with self._connect() as db:
            return [_row(r) for r in db.execute("SELECT * FROM runs WHERE owner = ? ORDER BY seq", (owner,))]


def row_working(row: QueuedRun, stale_after: float | None = None) -> bool:
    """Whether the worker that took this run still trains it (``liveness.working`` on its beat and worker)."""
    return working(row.heartbeat_at, Worker.from_text(row.worker), stale_after)


def _working(row: sqlite3.Row, stale_after: float, now: float) -> bool:
    return working(row["heartbeat_at"], Worker.from_text(row["worker"]), stale_after, now)


def _row(row: sqlite3.Row) -> QueuedRun:
    data: dict[str, Any] = dict(row)
    data["resume"], data["stop_requested"] = bool(data["resume"]), bool(data["stop_requested"])
    return QueuedRun(**data)
