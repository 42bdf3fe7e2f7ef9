"""What the Monitor page shows, computed inside SQLite: counts, histograms and a bounded sample, never the log.

Reading the whole log into a DataFrame cost 4.5-6 s and 800 MB per page view at a million rows; here every
query is a ``GROUP BY`` (answers as small as the number of labels or minutes) or has a ``LIMIT``, so the
page's memory does not grow with the log (see bench/bench_serve_limits.py).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tuneboard.serve.monitor import BINS, dropped_rows, log_path
from tuneboard.team.access import LOCAL, User, check

LATENCY_SAMPLE = 20_000  # the newest rows the latency percentiles read
MINUTES = 1_440  # the per-minute chart's last day of traffic
# The bin of np.histogram(clip(confidence, 0, 1), BINS), written with the same edges (0.6 * 10 is not 6 in floats).
_BIN_OF_CONFIDENCE = ("CASE WHEN confidence IS NULL THEN NULL "
                      + " ".join(f"WHEN confidence < {float(edge)!r} THEN {i}" for i, edge in enumerate(BINS[1:-1]))
                      + f" ELSE {len(BINS) - 2} END")


@dataclass
class TrafficView:
    """The served traffic in numbers: ``rows`` logged, ``dropped`` (never written: a full disk), latency
    percentiles of the newest ``latency_rows``, predictions per minute, and counts for drift."""

    rows: int = 0
    dropped: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    latency_rows: int = 0
    per_minute: Any = None
    label_counts: dict[str, int] = field(default_factory=dict)
    confidence_hist: list[int] = field(default_factory=lambda: [0] * (len(BINS) - 1))


def log_stamp(run_path: str | Path) -> tuple[int, ...]:
    """Changes whenever the server writes the log (the file or its write-ahead log): a cache key for a view."""
    path = log_path(run_path)
    stats = [p.stat() if p.is_file() else None for p in (path, path.with_name(path.name + "-wal"))]
    return tuple(v for st in stats for v in ((st.st_mtime_ns, st.st_size) if st else (0, 0)))


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def traffic_view(run_path: str | Path) -> TrafficView:
    """The aggregates of the run's prediction log (an empty view when nothing was served)."""
    import pandas as pd

    path = log_path(run_path)
    view = TrafficView(per_minute=pd.Series(dtype=float))
    if not path.is_file():
        return view
    con = _read_only(path)
    try:
        view.dropped = int(_optional(lambda: dropped_rows(con), 0))
        view.rows = con.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
        latency = np.array([r[0] for r in con.execute("SELECT latency_ms FROM predictions ORDER BY id DESC LIMIT ?",
                                                      (LATENCY_SAMPLE,))], float)
        if len(latency):
            view.p50_ms, view.p95_ms = (float(v) for v in np.percentile(latency, [50, 95]))
        view.latency_rows = len(latency)
        minutes = con.execute("SELECT CAST(ts / 60 AS INTEGER) AS m, COUNT(*) FROM predictions GROUP BY m "
                              "ORDER BY m DESC LIMIT ?", (MINUTES,)).fetchall()[::-1]
        stamps = pd.to_datetime([m * 60 for m, _ in minutes], unit="s")
        view.per_minute = pd.Series([n for _, n in minutes], index=stamps, dtype=float)
        hist = np.zeros(len(BINS) - 1, int)
        # One pass for both: the label mix and the confidence histogram.
        for label, tenth, n in con.execute(f"SELECT label, {_BIN_OF_CONFIDENCE}, COUNT(*) FROM predictions "
                                           "GROUP BY label, 2"):
            view.label_counts[label] = view.label_counts.get(label, 0) + n
            if tenth is not None:
                hist[tenth] += n
        view.confidence_hist = hist.tolist()
    finally:
        con.close()
    return view


def lowest_confidence(run_path: str | Path, n: int = 20, user: User = LOCAL) -> Any:
    """The ``n`` stored texts the model was least sure about (distinct texts), read with a ``LIMIT``.
    Texts are the run's clients': ``PermissionDenied`` unless ``user`` may see the run's texts."""
    import pandas as pd

    check(user, "view_texts", run_path)
    path = log_path(run_path)
    columns = ["text", "label", "confidence", "text_sha"]
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    con = _read_only(path)
    try:
        rows = con.execute("SELECT text, label, confidence, text_sha FROM predictions WHERE text IS NOT NULL "
                           "AND confidence IS NOT NULL ORDER BY confidence LIMIT ?", (n * 10,)).fetchall()
    finally:
        con.close()
    return pd.DataFrame(rows, columns=columns).drop_duplicates("text_sha").head(n).reset_index(drop=True)


def _optional(read: Any, default: Any) -> Any:
    """A value from a table an older log may not have yet."""
    try:
        return read()
    except sqlite3.OperationalError:
        return default
