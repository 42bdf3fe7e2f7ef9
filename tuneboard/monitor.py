"""What a served model sees: every prediction logged to SQLite, summarised, and compared with validation.

The log is ``<run>/monitor.sqlite`` (WAL, so the Monitor page reads while the server writes). By
default a text is stored as a hash and a length only; ``store_texts=True`` (the operator's choice)
keeps the text too, so the lowest-confidence ones can be labeled and added to a dataset.

Drift: the population stability index (PSI) of the served confidence histogram against the
validation set's (``predictions.parquet``), and the Jensen-Shannon distance of the label mix.
PSI below 0.1 is the usual "no shift", 0.1-0.25 "moderate", above 0.25 "significant".

Stored texts are what the run's API clients sent: ``read_log`` gives them only to someone who may see the
run's texts (``access``: owner, admin, or a teammate when shared), and only the owner or an admin may add
them to the run's feedback file (``add_feedback``).
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .access import LOCAL, User, allowed, check
from .errors import DataError
from .i18n import t

LOG_NAME = "monitor.sqlite"
BINS = np.linspace(0.0, 1.0, 11)
PSI_MODERATE, PSI_SIGNIFICANT = 0.1, 0.25
_SCHEMA = """CREATE TABLE IF NOT EXISTS predictions (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, latency_ms REAL NOT NULL, backend TEXT, label TEXT,
    confidence REAL, value REAL, text_sha TEXT, text_len INTEGER, text TEXT, text_pair TEXT)"""
COLUMNS = ("ts", "latency_ms", "backend", "label", "confidence", "value", "text_sha", "text_len", "text", "text_pair")


def log_path(run_path: str | Path) -> Path:
    return Path(run_path) / LOG_NAME


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(_SCHEMA)
    return con


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class PredictionLog:
    """Buffered writer: ``record`` is cheap (the request path), a background thread writes every
    ``flush_s`` seconds in one transaction, so logging adds no SQLite time to a request."""

    def __init__(self, path: str | Path, store_texts: bool = False, flush_s: float = 0.5) -> None:
        self.path, self.store_texts, self.flush_s = Path(path), store_texts, flush_s
        self._con = _connect(self.path)
        self._pending: deque[tuple[Any, ...]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tuneboard-monitor", daemon=True)
        self._thread.start()

    def record(self, rows: Iterable[dict[str, Any]]) -> None:
        """Queue rows with ts, latency_ms, backend, label, confidence, value, text, text_pair."""
        for r in rows:
            text = str(r.get("text", ""))
            pair = r.get("text_pair")
            self._pending.append((r.get("ts", time.time()), float(r["latency_ms"]), r.get("backend"), r.get("label"),
                                  r.get("confidence"), r.get("value"), text_digest(text), len(text),
                                  text if self.store_texts else None, pair if self.store_texts else None))

    def flush(self) -> int:
        rows = []
        while self._pending:
            rows.append(self._pending.popleft())
        if rows:
            with self._con:
                self._con.executemany(f"INSERT INTO predictions ({', '.join(COLUMNS)}) "
                                      f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
        return len(rows)

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_s):
            try:
                self.flush()
            except sqlite3.Error:
                pass  # a locked or full disk costs log rows, never the server; the next flush retries

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
        self._con.close()


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


def feedback_path(run_path: str | Path) -> Path:
    """Where labeled served texts of a run are collected: ``<runs root>/../feedback/<run id>.csv``."""
    from .runs import runs_root

    return runs_root().parent / "feedback" / f"{Path(run_path).name}.csv"


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


def label_mix(labels: Iterable[str], names: list[str]) -> np.ndarray:
    """Counts per label name (multi-label "a|b" counts once for a and once for b)."""
    index = {n: i for i, n in enumerate(names)}
    out = np.zeros(len(names))
    for label in labels:
        for part in str(label).split("|") if label else []:
            if part in index:
                out[index[part]] += 1
    return out


def drift_report(log: Any, validation: Any, labels: list[str], min_rows: int = 30) -> dict[str, Any]:
    """Confidence PSI and label-mix JS distance of the served rows against validation, plus a sentence."""
    served_conf = confidence_histogram(log["confidence"].dropna()) if len(log) else np.zeros(len(BINS) - 1)
    val_conf = confidence_histogram(validation["confidence"]) if "confidence" in validation else None
    out: dict[str, Any] = {"rows": int(len(log)), "bins": BINS.tolist(), "served_confidence": served_conf.tolist(),
                           "validation_confidence": val_conf.tolist() if val_conf is not None else None,
                           "served_labels": label_mix(log["label"], labels).tolist() if len(log) else [0] * len(labels),
                           "validation_labels": label_mix(validation.get("predicted", []), labels).tolist(),
                           "labels": labels, "psi": None, "js": None}
    if val_conf is None or len(log) < min_rows:
        out["level"] = "unknown"
        out["message"] = (t("monitor.drift_too_few", rows=len(log), needed=min_rows)
                          if val_conf is not None else t("monitor.drift_classifiers_only"))
        return out
    out["psi"] = psi(val_conf, served_conf)
    out["js"] = js_distance(out["validation_labels"], out["served_labels"])
    out["level"], out["message"] = _drift_words(out["psi"], out["js"])
    return out


def _drift_words(p: float, js: float) -> tuple[str, str]:
    if p >= PSI_SIGNIFICANT or js >= 0.3:
        return "significant", t("monitor.drift_significant", psi=f"{p:.2f}", js=f"{js:.2f}")
    if p >= PSI_MODERATE or js >= 0.15:
        return "moderate", t("monitor.drift_moderate", psi=f"{p:.2f}", js=f"{js:.2f}")
    return "stable", t("monitor.drift_stable", psi=f"{p:.2f}", js=f"{js:.2f}")


def traffic_summary(log: Any) -> dict[str, Any]:
    """Requests per minute (a series), latency p50/p95 and totals."""
    import pandas as pd

    if not len(log):
        return {"rows": 0, "p50_ms": None, "p95_ms": None, "per_minute": pd.Series(dtype=float)}
    minutes = pd.to_datetime(log["ts"], unit="s").dt.floor("min")
    return {"rows": int(len(log)), "p50_ms": float(np.percentile(log["latency_ms"], 50)),
            "p95_ms": float(np.percentile(log["latency_ms"], 95)), "per_minute": minutes.value_counts().sort_index()}


def lowest_confidence(log: Any, n: int = 20) -> Any:
    """The ``n`` stored texts the model was least sure about (distinct texts only)."""
    rows = log[log["text"].notna() & log["confidence"].notna()] if len(log) else log
    return rows.sort_values("confidence").drop_duplicates("text_sha").head(n)


def append_labeled(dest: str | Path, rows: Any) -> Path:
    """Append labeled rows (``text``, ``label``, optional ``text_pair``) to a CSV, atomically."""
    import pandas as pd

    rows = pd.DataFrame(rows)
    if rows.empty or not {"text", "label"} <= set(rows.columns):
        raise DataError("Nothing to add: give each text a label first, then add them to the dataset.")
    rows = rows[rows["label"].astype(str).str.strip() != ""]
    dest = Path(dest)
    old = pd.read_csv(dest, dtype=str, keep_default_na=False) if dest.is_file() else None
    out = pd.concat([old, rows], ignore_index=True) if old is not None else rows
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".feedback-", suffix=".csv")
    os.close(fd)
    out.to_csv(tmp, index=False)
    os.replace(tmp, dest)
    return dest
