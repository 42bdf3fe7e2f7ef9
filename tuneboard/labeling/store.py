"""The label store: every label a table's rows were given, by whom, when, from where, and what it replaced.

One SQLite file for every table (``labels.db`` beside the runs folder), in WAL
mode, append-only: a label, a cleared label, an undo and an owner's settlement are each a new row of
``events``; nothing is updated or deleted, so the history is the truth and ``current()`` is computed from it.
A connection per call and ``BEGIN IMMEDIATE`` around each write (SQLite's write lock) make one design safe
for the threads of a Streamlit server and for a CLI writing at the same time; ``synchronous=FULL`` makes a
label that was acknowledged survive a killed server or a power cut.

A table is named by its content hash (``table_sha``), so the same bytes uploaded again (or by a teammate)
find their labels; a row is its 0-based position in the table.

Who may write: an admin, the table's owner (whoever first gave it a label set or a label), anyone who
uploaded the same bytes (``runs.RunStore``'s record of uploads), and anyone for a bundled example table.
Settling a conflict and editing the label set are the owner's (or an admin's).
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from tuneboard.classnames import MAX_NAME, ClassName, check_classes
from tuneboard.errors import DataError, PermissionDenied
from tuneboard.files import create_private
from tuneboard.i18n import t
from tuneboard.team import User

SOURCES = ("person", "suggestion", "llm", "imported")  # where a label came from (``LabelEvent.source``)
COLOURS = ("blue", "green", "orange", "red", "violet", "gray", "yellow")  # a class's colour: one of these words
MAX_NOTE = 500
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- the order of events: later wins
    table_sha TEXT NOT NULL,
    row INTEGER NOT NULL,                     -- 0-based position in the table
    label TEXT,                               -- a class code; NULL: the label was cleared
    user TEXT NOT NULL,
    at REAL NOT NULL,
    source TEXT NOT NULL,
    previous TEXT,                            -- the row's label just before this event
    note TEXT NOT NULL DEFAULT '',
    undoes INTEGER,                           -- the event this one takes back (an undo)
    settles INTEGER NOT NULL DEFAULT 0        -- 1: the owner's decision on a conflict
);
CREATE INDEX IF NOT EXISTS events_by_table ON events (table_sha, seq);
CREATE INDEX IF NOT EXISTS events_by_row ON events (table_sha, row, user, seq);
CREATE TABLE IF NOT EXISTS owners (
    table_sha TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS classes (          -- the label set: replaced whole when edited
    table_sha TEXT NOT NULL,
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    colour TEXT NOT NULL,
    PRIMARY KEY (table_sha, code)
);
"""


def labels_db() -> Path:
    """``labels.db`` beside the runs folder (the workspace's)."""
    from tuneboard.paths import workspace

    return workspace().labels_db


def table_sha(path: str | Path) -> str:
    """The content hash that names a table file (sha256 of its bytes, as uploads are named)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class LabelEvent:
    """One thing that happened to a row's label."""

    seq: int
    row: int
    label: str | None
    user: str
    at: float
    source: str
    previous: str | None
    note: str = ""
    undoes: int | None = None
    settles: bool = False


@dataclass(frozen=True)
class LabelClass:
    """A class of the label set: its stable ``code`` (what events store), the ``name`` people read, an optional
    one-line ``description`` and a ``colour`` (one of ``COLOURS``)."""

    code: str
    name: str
    description: str = ""
    colour: str = COLOURS[0]

    def class_name(self) -> ClassName:
        return ClassName(self.code, self.name, self.description)


class LabelStore:
    """The labels of one table. Cheap to open; every call reads or writes the file (the file is the truth)."""

    def __init__(self, sha: str, path: str | Path | None = None) -> None:
        if not sha or not all(c in "0123456789abcdef" for c in sha):
            raise DataError(t("labeling.err.bad_table"))
        self.sha, self.path = sha, Path(path) if path else labels_db()
        _prepare(str(self.path))

    @classmethod
    def open(cls, table_sha: str) -> "LabelStore":
        """The store of the table whose content hash is ``table_sha``."""
        return cls(table_sha)

    # -- the file ------------------------------------------------------------------------------------
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA synchronous=FULL")
            yield db

    @contextmanager
    def _write(self, user: User) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                self._claim(db, user)
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- who -----------------------------------------------------------------------------------------
    def owner(self) -> str | None:
        """The id of the table's owner (None before anyone wrote)."""
        with self._connect() as db:
            row = db.execute("SELECT owner FROM owners WHERE table_sha = ?", (self.sha,)).fetchone()
        return row[0] if row else None

    def may_label(self, user: User) -> bool:
        """Whether ``user`` may label this table (see the module's docstring)."""
        owner = self.owner()
        return user.is_admin or owner == user.id or _uploaded(self.sha, user.id) or self.sha in _bundled()

    def may_settle(self, user: User) -> bool:
        """Whether ``user`` may settle conflicts and edit the label set: the owner or an admin."""
        owner = self.owner()
        return user.is_admin or owner == user.id or (owner is None and self.may_label(user))

    def _claim(self, db: sqlite3.Connection, user: User) -> None:
        """Inside a write: refuse a user who may not label; the first writer becomes the owner."""
        row = db.execute("SELECT owner FROM owners WHERE table_sha = ?", (self.sha,)).fetchone()
        owner = row[0] if row else None
        if not (user.is_admin or owner == user.id or _uploaded(self.sha, user.id) or self.sha in _bundled()):
            raise PermissionDenied(t("labeling.err.may_not_label", owner=owner or "local"))
        if owner is None:
            db.execute("INSERT INTO owners (table_sha, owner, created_at) VALUES (?, ?, ?)",
                       (self.sha, user.id, time.time()))

    # -- the label set -------------------------------------------------------------------------------
    def classes(self) -> tuple[LabelClass, ...]:
        """The label set, in its order (empty until someone defines it)."""
        with self._connect() as db:
            rows = db.execute("SELECT code, name, description, colour FROM classes WHERE table_sha = ? "
                              "ORDER BY position", (self.sha,)).fetchall()
        return tuple(LabelClass(*r) for r in rows)

    def set_classes(self, classes: Iterable[LabelClass], *, user: User) -> tuple[LabelClass, ...]:
        """Replace the label set (names checked as on Data: non-empty, short, unique). A code keeps its labels:
        renaming a class changes no event. A class that already has labels cannot be removed."""
        wanted = tuple(classes)
        if not wanted:
            raise DataError(t("labeling.err.no_classes"))
        named = check_classes([c.class_name() for c in wanted])  # raises on an empty, long or repeated name
        del named
        for c in wanted:
            if c.colour not in COLOURS:
                raise DataError(t("labeling.err.colour", colour=str(c.colour)[:20], colours=", ".join(COLOURS)))
        if not self.may_settle(user):
            raise PermissionDenied(t("labeling.err.owner_only", owner=self.owner() or "local"))
        codes = {c.code for c in wanted}
        in_use = sorted(set(self.current().values()) - codes)
        if in_use:
            raise DataError(t("labeling.err.class_in_use", code=in_use[0][:MAX_NAME]))
        with self._write(user) as db:
            db.execute("DELETE FROM classes WHERE table_sha = ?", (self.sha,))
            db.executemany("INSERT INTO classes (table_sha, position, code, name, description, colour) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           [(self.sha, i, c.code, " ".join(c.name.split()), " ".join(c.description.split()), c.colour)
                            for i, c in enumerate(wanted)])
        return self.classes()

    def code_of(self, label: str) -> str:
        """The code of ``label`` (a code, or a name in any case); ``DataError`` when the label set has no such class.
        With no label set yet, any non-empty label is its own code."""
        value = " ".join(str(label).split())
        known = self.classes()
        if not known:
            if not value or len(value) > MAX_NAME:
                raise DataError(t("labeling.err.unknown_label", label=value[:MAX_NAME], labels="—"))
            return value
        for c in known:
            if value == c.code or value.casefold() == c.name.casefold():
                return c.code
        raise DataError(t("labeling.err.unknown_label", label=value[:MAX_NAME],
                          labels=", ".join(c.name for c in known)))

    # -- writing labels ------------------------------------------------------------------------------
    def record(self, row: int, label: str | None, *, user: User, source: str, note: str = "") -> None:
        """Give ``row`` the label ``label`` (None: clear it) as ``user``, from ``source`` (one of ``SOURCES``)."""
        self._insert([(row, label)], user=user, source=source, note=note)

    def record_many(self, items: Iterable[tuple[int, str]], *, user: User, source: str, note: str = "") -> int:
        """Label many rows in one transaction (all or none); returns how many events were written."""
        return self._insert(list(items), user=user, source=source, note=note)

    def settle(self, row: int, label: str | None, user: User, note: str = "") -> None:
        """The owner's (or an admin's) decision on a row people disagree about: it becomes the row's label."""
        if not self.may_settle(user):
            raise PermissionDenied(t("labeling.err.owner_only", owner=self.owner() or "local"))
        self._insert([(row, label)], user=user, source="person", note=note, settles=True)

    def undo(self, user: User) -> LabelEvent | None:
        """Take back ``user``'s latest label that was not taken back already (the row gets the label it had
        before); returns the event taken back, or None when there is nothing to undo."""
        with self._write(user) as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM events WHERE table_sha = ? AND user = ? AND undoes IS NULL "
                              "AND seq NOT IN (SELECT undoes FROM events WHERE table_sha = ? AND undoes IS NOT NULL) "
                              "ORDER BY seq DESC LIMIT 1", (self.sha, user.id, self.sha)).fetchall()
            if not rows:
                return None
            last = _event(rows[0])
            now = _latest_label(db, self.sha, last.row)
            db.execute("INSERT INTO events (table_sha, row, label, user, at, source, previous, note, undoes, settles) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?)",
                       (self.sha, last.row, last.previous, user.id, time.time(), last.source, now, last.seq,
                        int(last.settles)))
        return last

    def _insert(self, items: list[tuple[int, str | None]], *, user: User, source: str, note: str = "",
                settles: bool = False) -> int:
        if source not in SOURCES:
            raise DataError(t("labeling.err.source", source=str(source)[:30], sources=", ".join(SOURCES)))
        note = " ".join(str(note or "").split())[:MAX_NOTE]
        checked = [(_row_number(row), None if label is None else self.code_of(label)) for row, label in items]
        if not checked:
            return 0
        with self._write(user) as db:
            now = time.time()
            for row, label in checked:
                previous = _latest_label(db, self.sha, row)
                db.execute("INSERT INTO events (table_sha, row, label, user, at, source, previous, note, settles) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (self.sha, row, label, user.id, now, source, previous, note, int(settles)))
        return len(checked)

    # -- reading -------------------------------------------------------------------------------------
    def events(self, row: int | None = None) -> list[LabelEvent]:
        """Every event of the table (of one row when given), oldest first."""
        sql, args = f"SELECT {_COLUMNS} FROM events WHERE table_sha = ?", [self.sha]
        if row is not None:
            sql, args = sql + " AND row = ?", [*args, _row_number(row)]
        with self._connect() as db:
            return [_event(r) for r in db.execute(sql + " ORDER BY seq", args).fetchall()]

    def views(self) -> dict[int, dict[str, str]]:
        """Per row, each labeler's latest label since the row's last settlement (a settlement counts as its
        author's); cleared labels are left out: ``{row: {user id: code}}``."""
        return {row: {user: label for user, (label, _) in seen.items()} for row, seen in self._latest().items()}

    def current(self) -> dict[int, str]:
        """The agreed label (a code) per row: rows whose labelers agree (one labeler agrees with itself);
        a row people disagree about is left out until the owner settles it (``conflicts``)."""
        agreed = {}
        for row, seen in self._latest().items():
            labels = {label for label, _ in seen.values()}
            if len(labels) == 1:
                agreed[row] = labels.pop()
        return agreed

    def sources(self) -> dict[int, str]:
        """The source of each agreed row's label (its latest event's)."""
        out = {}
        for row, seen in self._latest().items():
            if len({label for label, _ in seen.values()}) == 1:
                out[row] = max(seen.values(), key=lambda v: v[1][1])[1][0]
        return out

    def by_user(self) -> dict[str, dict[int, str]]:
        """Each labeler's own labels (``{user id: {row: code}}``), for agreement in team mode."""
        out: dict[str, dict[int, str]] = {}
        for row, seen in self.views().items():
            for user, label in seen.items():
                out.setdefault(user, {})[row] = label
        return out

    def _latest(self) -> dict[int, dict[str, tuple[str, tuple[str, int]]]]:
        """``{row: {user: (code, (source, seq))}}`` of each labeler's latest event since the row's last
        settlement, cleared labels left out (callers must not change it). Kept per process and brought up to
        date with only the events written since (by any thread or process: the file is asked for its newest
        ``seq``), so a key press reads a few lines, not every event the table ever had."""
        key = (str(self.path), self.sha)
        with _SEEN_LOCK:
            seq, latest = _SEEN.get(key, (0, {}))
            with self._connect() as db:
                rows = db.execute("SELECT row, user, label, source, seq, settles FROM events WHERE table_sha = ? "
                                  "AND seq > ? ORDER BY seq", (self.sha, seq)).fetchall()
                newest = db.execute("SELECT MAX(seq) FROM events").fetchone()[0] or 0
            if newest < seq:  # a new file in the same place (restored, or removed and made again): read it all
                _SEEN.pop(key, None)
                return self._latest()
            if not rows:
                return latest
            latest = {row: dict(seen) for row, seen in latest.items()}
            for row, user, label, source, seq, settles in rows:
                seen = latest.setdefault(row, {})
                if settles:
                    seen.clear()
                if label is None:
                    seen.pop(user, None)
                else:
                    seen[user] = (label, (source, seq))
            latest = {row: seen for row, seen in latest.items() if seen}
            _SEEN[key] = (seq, latest)
            return latest


_SEEN: dict[tuple[str, str], tuple[int, dict[int, dict[str, tuple[str, tuple[str, int]]]]]] = {}
_SEEN_LOCK = threading.RLock()
_COLUMNS = "seq, row, label, user, at, source, previous, note, undoes, settles"


def _event(r: tuple[Any, ...]) -> LabelEvent:
    return LabelEvent(int(r[0]), int(r[1]), r[2], r[3], float(r[4]), r[5], r[6], r[7] or "",
                      None if r[8] is None else int(r[8]), bool(r[9]))


def _latest_label(db: sqlite3.Connection, sha: str, row: int) -> str | None:
    found = db.execute("SELECT label FROM events WHERE table_sha = ? AND row = ? ORDER BY seq DESC LIMIT 1",
                       (sha, row)).fetchone()
    return found[0] if found else None


def _row_number(row: Any) -> int:
    try:
        number = int(row)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or number != row:
        raise DataError(t("labeling.err.bad_row", row=str(row)[:30]))
    return number


@lru_cache(maxsize=8)
def _prepare(path: str) -> None:
    """Create the file (0600) and its tables once per process and path."""
    create_private(path)
    with closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        db.execute("PRAGMA busy_timeout=30000")
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)


def _uploaded(sha: str, user_id: str) -> bool:
    from tuneboard.runs import RunStore

    return RunStore().has_upload(sha, user_id)


@lru_cache(maxsize=1)
def _bundled() -> frozenset[str]:
    """The content hashes of the bundled example tables: anyone may label those."""
    from tuneboard.paths import PROJECT

    folder = PROJECT / "examples"
    return frozenset(table_sha(p) for p in sorted(folder.glob("*")) if p.is_file()) if folder.is_dir() else frozenset()
