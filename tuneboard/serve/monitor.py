"""What a served model sees: every prediction logged to SQLite, summarised, and compared with validation.

The log is ``<run>/monitor.sqlite`` (WAL, so the Monitor page reads while the server writes). By
default a text is stored as a keyed digest (HMAC-SHA256 with a per-run secret kept 0600 in the deployments
folder, never in the run folder, so a shared or copied log cannot be checked against guessed texts) and a
length only; ``store_texts=True`` (the operator's choice) keeps the text too, so the lowest-confidence ones
can be labeled and added to a dataset. The server keeps the log bounded (``Retention``: rows and days) and
counts the rows it could not write (a full disk): in ``/health``, in its log and in the file itself.

Drift: the population stability index (PSI) of the served confidence histogram against the
validation set's (``predictions.parquet``), and the Jensen-Shannon distance of the label mix.
PSI below 0.1 is the usual "no shift", 0.1-0.25 "moderate", above 0.25 "significant".

Stored texts are what the run's API clients sent: ``read_log`` gives them only to someone who may see the
run's texts (``access``: owner, admin, or a teammate when shared), and only the owner or an admin may add
them to the run's feedback file (``add_feedback``).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from tuneboard.errors import DataError
from tuneboard.files import create_private, private_dir, write_text_atomic
from tuneboard.i18n import t
from tuneboard.team.access import LOCAL, User, allowed, check

LOG_NAME = "monitor.sqlite"
BINS = np.linspace(0.0, 1.0, 11)
PSI_MODERATE, PSI_SIGNIFICANT = 0.1, 0.25
_SCHEMA = """CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, latency_ms REAL NOT NULL, backend TEXT, label TEXT,
    confidence REAL, value REAL, text_sha TEXT, text_len INTEGER, text TEXT, text_pair TEXT, version TEXT,
    shadow_version TEXT, shadow_label TEXT, shadow_confidence REAL, shadow_value REAL, shadow_latency_ms REAL);
CREATE INDEX IF NOT EXISTS predictions_ts ON predictions (ts);
CREATE TABLE IF NOT EXISTS monitor_state (key TEXT PRIMARY KEY, value REAL NOT NULL)"""
MAX_PENDING = 200_000  # rows waiting for the writer; past it they are dropped (and counted), not kept in memory
COLUMNS = ("ts", "latency_ms", "backend", "label", "confidence", "value", "text_sha", "text_len", "text", "text_pair",
           "version", "shadow_version", "shadow_label", "shadow_confidence", "shadow_value", "shadow_latency_ms")
# Which version answered (``name/3`` when served by name) and the candidate's shadow answer: added to logs written
# before serving by name existed, when they are first opened.
VERSION_COLUMNS = {"version": "TEXT", "shadow_version": "TEXT", "shadow_label": "TEXT", "shadow_confidence": "REAL",
                   "shadow_value": "REAL", "shadow_latency_ms": "REAL"}


def log_path(run_path: str | Path) -> Path:
    return Path(run_path) / LOG_NAME


def _connect(path: Path) -> sqlite3.Connection:
    create_private(path)  # served texts may be in it: 0600 from the start
    con = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.executescript(_SCHEMA)
    have = {row[1] for row in con.execute("PRAGMA table_info(predictions)")}
    for column, kind in VERSION_COLUMNS.items():
        if column not in have:
            con.execute(f"ALTER TABLE predictions ADD COLUMN {column} {kind}")
    return con


def digest_key_path(run_path: str | Path) -> Path:
    """Where the run's digest secret lives: beside the server logs (``deployments/``), outside the run folder."""
    from tuneboard.serve.deploy import state_dir

    return state_dir() / f"{Path(run_path).name}.digest-key"


def digest_key(run_path: str | Path) -> bytes:
    """The run's digest secret (32 random bytes, made once, mode 0600)."""
    path = digest_key_path(run_path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another server made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
    return path.read_bytes()


def text_digest(text: str, key: bytes) -> str:
    return hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Retention:
    """How much of the log the server keeps: the newest ``rows`` and at most ``days`` old (0 = no limit)."""

    rows: int = 1_000_000
    days: float = 30.0

    def __post_init__(self) -> None:
        if self.rows < 0 or self.days < 0:
            raise DataError(t("serving.retention_negative", rows=self.rows, days=self.days))


class PredictionLog:
    """Buffered writer: ``record`` is cheap (the request path), a background thread writes every
    ``flush_s`` seconds in one transaction, so logging adds no SQLite time to a request. The same
    transaction trims the log to ``retention`` and stores how many rows were dropped so far."""

    def __init__(self, path: str | Path, store_texts: bool = False, flush_s: float = 0.5,
                 retention: Retention | None = None, on_drop: Callable[[int, int], None] | None = None) -> None:
        self.path, self.store_texts, self.flush_s = Path(path), store_texts, flush_s
        self.retention, self.on_drop = retention or Retention(), on_drop
        self._key = digest_key(self.path.parent)
        self._con = _connect(self.path)
        self.dropped = int(dropped_rows(self._con))
        self._drop_lock, self._unreported, self._reported_at = threading.Lock(), 0, 0.0
        self._pending: deque[tuple[Any, ...]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tuneboard-monitor", daemon=True)
        self._thread.start()

    def record(self, rows: Iterable[dict[str, Any]]) -> None:
        """Queue rows with ts, latency_ms, backend, label, confidence, value, text, text_pair, and when served by
        name the version and the shadow's answer (``VERSION_COLUMNS``)."""
        for r in rows:
            if len(self._pending) >= MAX_PENDING:  # the writer cannot keep up: count it, hold no more memory
                self._drop(1)
                continue
            text = str(r.get("text", ""))
            pair = r.get("text_pair")
            self._pending.append((r.get("ts", time.time()), float(r["latency_ms"]), r.get("backend"), r.get("label"),
                                  r.get("confidence"), r.get("value"), text_digest(text, self._key), len(text),
                                  text if self.store_texts else None, pair if self.store_texts else None,
                                  *(r.get(c) for c in VERSION_COLUMNS)))

    def flush(self) -> int:
        rows = []
        while self._pending:
            rows.append(self._pending.popleft())
        try:
            with self._con:
                if rows:
                    self._con.executemany(f"INSERT INTO predictions ({', '.join(COLUMNS)}) "
                                          f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
                self._trim()
                self._con.execute("INSERT OR REPLACE INTO monitor_state VALUES ('dropped', ?)", (self.dropped,))
        except sqlite3.Error:
            self._drop(len(rows))
            raise
        return len(rows)

    def stats(self) -> dict[str, int]:
        """For ``/health``: rows waiting to be written and rows dropped so far."""
        return {"log_pending": len(self._pending), "log_dropped": self.dropped}

    def _trim(self) -> None:
        if self.retention.rows:
            self._con.execute("DELETE FROM predictions WHERE id <= (SELECT MAX(id) FROM predictions) - ?",
                              (self.retention.rows,))
        if self.retention.days:
            self._con.execute("DELETE FROM predictions WHERE ts < ?", (time.time() - self.retention.days * 86400,))

    def _drop(self, rows: int) -> None:
        """Count lost rows; tell ``on_drop`` (the server's log) at most every 10 s, not once per failed flush."""
        if not rows:
            return
        with self._drop_lock:
            self.dropped += rows
            self._unreported += rows
            if self.on_drop is None or time.monotonic() - self._reported_at < 10:
                return
            report, self._unreported, self._reported_at = self._unreported, 0, time.monotonic()
        self.on_drop(report, self.dropped)

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_s):
            try:
                self.flush()
            except sqlite3.Error:
                pass  # a locked or full disk costs log rows (counted), never the server; the next flush retries

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.flush()
        except sqlite3.Error:
            pass  # counted in flush; closing must not fail the server's shutdown
        if self._unreported and self.on_drop is not None:
            self.on_drop(self._unreported, self.dropped)
        self._con.close()


def dropped_rows(con: sqlite3.Connection) -> float:
    row = con.execute("SELECT value FROM monitor_state WHERE key = 'dropped'").fetchone()
    return row[0] if row else 0


def read_log(run_path: str | Path, since: float | None = None, user: User = LOCAL) -> Any:
    """The logged predictions as a DataFrame (empty, with the columns, when nothing was served). The stored
    texts are blanked (None) unless ``user`` may see the run's texts."""
    import pandas as pd

    path = log_path(run_path)
    if not path.is_file():
        return pd.DataFrame(columns=["id", *COLUMNS])
    con = _connect(path)
    try:
        query = "SELECT * FROM predictions" + (" WHERE ts >= ?" if since else "") + " ORDER BY ts"
        log = pd.read_sql_query(query, con, params=(since,) if since else ())
    finally:
        con.close()
    if not allowed(user, "view_texts", run_path):
        log["text"], log["text_pair"] = None, None
    return log


def rename_labels(run_path: str | Path, mapping: dict[str, str]) -> int:
    """Rename the classes in the served log (``{old name: new name}``; a multi-label row holds "a|b") in one
    transaction, so the Monitor's label mix keeps counting what was served before a rename. Returns the rows
    changed. The caller has checked who may (``runclasses.rename_classes``)."""
    path = log_path(run_path)
    if not path.is_file() or not mapping:
        return 0
    con = _connect(path)
    try:
        with con:  # one UPDATE: a swap of two names cannot rename a row twice
            values = [v for (v,) in con.execute("SELECT DISTINCT label FROM predictions WHERE label IS NOT NULL")]
            pairs = [(v, "|".join(mapping.get(p, p) for p in v.split("|"))) for v in values]
            pairs = [(old, new) for old, new in pairs if old != new]
            if not pairs:
                return 0
            cases = " ".join("WHEN ? THEN ?" for _ in pairs)
            marks = ", ".join("?" for _ in pairs)
            args = [x for pair in pairs for x in pair] + [old for old, _ in pairs]
            return con.execute(f"UPDATE predictions SET label = CASE label {cases} END WHERE label IN ({marks})",
                               args).rowcount
    finally:
        con.close()


def feedback_path(run_path: str | Path) -> Path:
    """Where labeled served texts of a run are collected: ``<runs root>/../feedback/<run id>.csv``."""
    from tuneboard.paths import workspace

    return workspace().feedback / f"{Path(run_path).name}.csv"


def add_feedback(run_path: str | Path, rows: Any, user: User = LOCAL) -> Path:
    """Append labeled served texts to the run's feedback file: its owner's or an admin's call
    (``PermissionDenied`` otherwise: the texts are the owner's clients', the file feeds the owner's next run)."""
    check(user, "feedback", run_path)
    return append_labeled(feedback_path(run_path), rows)


def psi(expected: np.ndarray, actual: np.ndarray, eps: float = 1e-4) -> float:
    """Population stability index between two histograms (counts or shares over the same bins)."""
    e = np.asarray(expected, float)
    a = np.asarray(actual, float)
    e = np.clip(e / max(e.sum(), 1e-12), eps, None)
    a = np.clip(a / max(a.sum(), 1e-12), eps, None)
    return float(np.sum((a - e) * np.log(a / e)))


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, so 0 = same mix, 1 = nothing in common)."""
    from scipy.spatial.distance import jensenshannon

    p, q = np.asarray(p, float), np.asarray(q, float)
    if p.sum() == 0 or q.sum() == 0:
        return 0.0
    return float(jensenshannon(p, q, base=2))


def confidence_histogram(values: Iterable[float]) -> np.ndarray:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    return np.histogram(np.clip(v, 0, 1), bins=BINS)[0]


def label_mix(labels: Iterable[str] | dict[str, int], names: list[str]) -> np.ndarray:
    """Counts per label name from labels, or from ``{label: count}`` (multi-label "a|b" counts once for a and
    once for b)."""
    index = {n: i for i, n in enumerate(names)}
    counts = labels.items() if isinstance(labels, dict) else ((label, 1) for label in labels)
    out = np.zeros(len(names))
    for label, n in counts:
        for part in str(label).split("|") if label else []:
            if part in index:
                out[index[part]] += n
    return out


def drift_report(log: Any, validation: Any, labels: list[str], min_rows: int = 30) -> dict[str, Any]:
    """Confidence PSI and label-mix JS distance of the served rows against validation, plus a sentence."""
    served_conf = confidence_histogram(log["confidence"].dropna()) if len(log) else np.zeros(len(BINS) - 1)
    served_labels = log["label"].value_counts().to_dict() if len(log) else {}
    return drift_from_counts(int(len(log)), served_conf, served_labels, validation, labels, min_rows)


def drift_from_counts(rows: int, served_conf: Any, served_labels: dict[str, int], validation: Any,
                      labels: list[str], min_rows: int = 30) -> dict[str, Any]:
    """``drift_report`` from what SQL can count: the confidence histogram over ``BINS`` and ``{label: rows}``."""
    served_conf = np.asarray(served_conf, float)
    val_conf = confidence_histogram(validation["confidence"]) if "confidence" in validation else None
    out: dict[str, Any] = {"rows": rows, "bins": BINS.tolist(), "served_confidence": served_conf.tolist(),
                           "validation_confidence": val_conf.tolist() if val_conf is not None else None,
                           "served_labels": label_mix(served_labels, labels).tolist(),
                           "validation_labels": label_mix(validation.get("predicted", []), labels).tolist(),
                           "labels": labels, "psi": None, "js": None}
    if val_conf is None or rows < min_rows:
        out["level"] = "unknown"
        out["message"] = (t("monitor.drift_too_few", rows=rows, needed=min_rows)
                          if val_conf is not None else t("monitor.drift_classifiers_only"))
        return out
    out["psi"] = psi(val_conf, served_conf)
    out["js"] = js_distance(out["validation_labels"], out["served_labels"])
    out["level"], out["message"] = _drift_words(out["psi"], out["js"])
    return out


def served_drift(run: Any, view: Any, min_rows: int = 30) -> dict[str, Any]:
    """``drift_from_counts`` of a run's served traffic (``view``: a ``traffic.TrafficView``) against what the run
    predicted on its validation set (its predictions file and labels); ``labels`` in the result names the classes."""
    import pandas as pd

    from tuneboard.paths import RunFiles

    predictions = run.path / RunFiles.PREDICTIONS
    validation = pd.read_parquet(predictions) if predictions.is_file() else pd.DataFrame()
    labels = (run.metrics() or {}).get("labels") or []
    return drift_from_counts(view.rows, view.confidence_hist, view.label_counts, validation, labels, min_rows)


def _drift_words(p: float, js: float) -> tuple[str, str]:
    if p >= PSI_SIGNIFICANT or js >= 0.3:
        return "significant", t("monitor.drift_significant", psi=f"{p:.2f}", js=f"{js:.2f}")
    if p >= PSI_MODERATE or js >= 0.15:
        return "moderate", t("monitor.drift_moderate", psi=f"{p:.2f}", js=f"{js:.2f}")
    return "stable", t("monitor.drift_stable", psi=f"{p:.2f}", js=f"{js:.2f}")


def append_labeled(dest: str | Path, rows: Any) -> Path:
    """Append labeled rows (``text``, ``label``, optional ``text_pair``) to a CSV, atomically."""
    import pandas as pd

    rows = pd.DataFrame(rows)
    if rows.empty or not {"text", "label"} <= set(rows.columns):
        raise DataError(t("engine.err.monitor.nothing_to_add"))
    rows = rows[rows["label"].astype(str).str.strip() != ""]
    dest = Path(dest)
    old = pd.read_csv(dest, dtype=str, keep_default_na=False) if dest.is_file() else None
    out = pd.concat([old, rows], ignore_index=True) if old is not None else rows
    write_text_atomic(dest, out.to_csv(index=False))
    return dest
