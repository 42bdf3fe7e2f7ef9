"""Production against the candidate on live traffic, from the log of what a name answered, and a verdict.

Shadow: both answered the same texts, so agreement is exact. Canary: each answered its own share; the numbers
compare the two populations (no agreement). Accuracy is counted on served texts that someone has labeled since
(the name's labeled texts and its versions' feedback files, matched by the log's keyed digest, so texts need not
be stored). Every figure is a ``GROUP BY`` or a bounded read in SQLite: the log is never read whole.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tuneboard.i18n import t
from tuneboard.registry.book import CANDIDATE, PRODUCTION, Registry
from tuneboard.serve.monitor import append_labeled, digest_key, feedback_path, log_path, text_digest
from tuneboard.serve.named import served_folder
from tuneboard.team.access import LOCAL, User, require

MIN_ROWS = 30  # texts both answered before a verdict
MIN_LABELED = 20  # labeled texts before accuracy decides
LATENCY_ROWS = 20_000


@dataclass
class Side:
    """One version's numbers on the compared traffic."""

    label: str | None
    rows: int = 0
    confidence: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    label_counts: dict[str, int] = field(default_factory=dict)
    accuracy: float | None = None
    labeled: int = 0


@dataclass
class Comparison:
    """``mode``: shadow, canary or None (nothing compared yet); ``verdict``: a code, ``message`` its words."""

    name: str
    mode: str | None
    production: Side
    candidate: Side
    agreement: float | None = None
    verdict: str = "no_candidate"
    message: str = ""


def compare(name: str, registry: Registry | None = None) -> Comparison:
    """Production and the candidate of ``name`` on the traffic logged since the candidate was set."""
    registry = registry or Registry()
    model = registry.model(name)
    prod, cand = model.alias(PRODUCTION), model.alias(CANDIDATE)
    out = Comparison(name, None, Side(prod.label if prod else None), Side(cand.label if cand else None))
    path = log_path(served_folder(name))
    if prod is None or cand is None or not path.is_file():
        return _judge(out)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        truth = _labeled(name, [v.run_path for v in (prod, cand)])
        shadowed = con.execute("SELECT COUNT(*) FROM predictions WHERE version = ? AND shadow_version = ?",
                               (prod.label, cand.label)).fetchone()[0]
        if shadowed:
            out.mode = "shadow"
            where, args = "version = ? AND shadow_version = ?", (prod.label, cand.label)
            _side(con, out.production, where, args, "label", "confidence", "latency_ms", truth)
            _side(con, out.candidate, where, args, "shadow_label", "shadow_confidence", "shadow_latency_ms", truth)
            out.agreement = con.execute(f"SELECT AVG(label = shadow_label) FROM predictions WHERE {where}",
                                        args).fetchone()[0]
        elif con.execute("SELECT 1 FROM predictions WHERE version = ? LIMIT 1", (cand.label,)).fetchone():
            out.mode = "canary"
            _side(con, out.production, "version = ?", (prod.label,), "label", "confidence", "latency_ms", truth)
            _side(con, out.candidate, "version = ?", (cand.label,), "label", "confidence", "latency_ms", truth)
    finally:
        con.close()
    return _judge(out)


def _side(con: sqlite3.Connection, side: Side, where: str, args: tuple, label: str, confidence: str, latency: str,
          truth: dict[str, str]) -> None:
    side.rows, side.confidence = con.execute(f"SELECT COUNT(*), AVG({confidence}) FROM predictions WHERE {where}",
                                             args).fetchone()
    side.label_counts = {k: n for k, n in con.execute(
        f"SELECT {label}, COUNT(*) FROM predictions WHERE {where} AND {label} IS NOT NULL GROUP BY {label}", args)}
    times = np.array([r[0] for r in con.execute(f"SELECT {latency} FROM predictions WHERE {where} AND {latency} "
                                                f"IS NOT NULL ORDER BY id DESC LIMIT ?", (*args, LATENCY_ROWS))], float)
    if len(times):
        side.p50_ms, side.p95_ms = (float(v) for v in np.percentile(times, [50, 95]))
    if truth:
        marks = ", ".join("?" for _ in truth)
        rows = con.execute(f"SELECT text_sha, {label} FROM predictions WHERE {where} AND text_sha IN ({marks})",
                           (*args, *truth)).fetchall()
        side.labeled = len(rows)
        side.accuracy = float(np.mean([truth[sha] == got for sha, got in rows])) if rows else None


def _labeled(name: str, run_paths: list[str]) -> dict[str, str]:
    """``{digest: label}`` of the texts labeled for the name or its two versions' runs (digests with the log's key)."""
    import pandas as pd

    key = digest_key(served_folder(name))
    truth: dict[str, str] = {}
    for path in [feedback_path(served_folder(name)), *(feedback_path(p) for p in run_paths)]:
        if path.is_file():
            rows = pd.read_csv(path, dtype=str, keep_default_na=False)
            if {"text", "label"} <= set(rows.columns):
                truth.update({text_digest(str(x), key): str(y) for x, y in zip(rows["text"], rows["label"],
                                                                                strict=True)})
    return truth


def _judge(c: Comparison) -> Comparison:
    """The plain-words verdict: labels decide when there are enough; else speed and agreement say how safe."""
    p, q = c.production, c.candidate
    if q.label is None:
        c.verdict, c.message = "no_candidate", t("registry.verdict.no_candidate", name=c.name)
    elif min(p.rows, q.rows) < MIN_ROWS:
        c.verdict, c.message = "wait", t("registry.verdict.wait", rows=min(p.rows, q.rows), needed=MIN_ROWS)
    elif p.p95_ms and q.p95_ms and q.p95_ms > 2 * p.p95_ms:
        c.verdict, c.message = "keep", t("registry.verdict.slow", times=f"{q.p95_ms / p.p95_ms:.1f}")
    elif min(p.labeled, q.labeled) >= MIN_LABELED and p.accuracy is not None and q.accuracy is not None:
        better = q.accuracy - p.accuracy
        words = dict(cand=f"{q.accuracy:.0%}", prod=f"{p.accuracy:.0%}", n=q.labeled)
        if better >= 0.01:
            c.verdict, c.message = "promote", t("registry.verdict.better", **words)
        elif better <= -0.01:
            c.verdict, c.message = "keep", t("registry.verdict.worse", **words)
        else:
            c.verdict, c.message = "either", t("registry.verdict.same", **words)
    elif c.agreement is not None and c.agreement >= 0.9:
        c.verdict, c.message = "safe", t("registry.verdict.agree", share=f"{c.agreement:.0%}", n=q.rows)
    else:
        share = f"{1 - c.agreement:.0%}" if c.agreement is not None else "-"
        c.verdict, c.message = "label", t("registry.verdict.label", share=share, n=q.rows, needed=MIN_LABELED)
    return c


def disagreements(name: str, n: int = 20, user: User = LOCAL, registry: Registry | None = None) -> Any:
    """The newest stored texts where the shadow candidate and production disagreed (the ones worth labeling).
    Texts are the name's clients': the name's owner, an admin (``PermissionDenied`` otherwise)."""
    import pandas as pd

    registry = registry or Registry()
    require(user, "view_texts", registry.model(name).owner)
    columns = ["text", "production", "candidate"]
    path = log_path(served_folder(name))
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT text, label, shadow_label FROM predictions WHERE text IS NOT NULL AND "
                           "shadow_label IS NOT NULL AND label != shadow_label ORDER BY id DESC LIMIT ?",
                           (n * 5,)).fetchall()
    finally:
        con.close()
    return pd.DataFrame(rows, columns=columns).drop_duplicates("text").head(n).reset_index(drop=True)


def add_labels(name: str, rows: Any, user: User = LOCAL, registry: Registry | None = None) -> Path:
    """Keep labeled served texts of ``name`` (``text``, ``label``): they count in the comparison's accuracy.
    The name's owner's or an admin's call."""
    registry = registry or Registry()
    require(user, "feedback", registry.model(name).owner)
    return append_labeled(feedback_path(served_folder(name)), rows)
