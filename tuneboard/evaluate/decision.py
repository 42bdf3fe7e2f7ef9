"""Should this model be used? One recommendation from a run's evidence, for the first screen of the report.

The verdict is one of three, each with the reason that decided it (a code, worded by the report):

- ``use_baseline``: the TF-IDF baseline, fitted in seconds on the same split, scores as well or better;
  a fine-tuned model that is no better is only slower and bigger.
- ``not_yet``: the model is right too rarely, or it misses a whole class too often.
- ``ship``: it beats the baseline and is good enough; what is left are risks to watch.

Risks (weak classes, slices, calibration, a small validation set) are listed whatever the verdict, the
worst first, so a reader sees the two or three that matter. Thresholds are the lines a reviewer would draw
for a first release; they are named here once so the report can quote them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tuneboard.protocol import BASELINE_MODEL

SHIP, NOT_YET, USE_BASELINE = "ship", "not_yet", "use_baseline"
TIE = 0.005  # a baseline within half a point is as good: the cheaper model wins the tie
MIN_SCORE = 0.7  # main metric (F1, accuracy) under this: right too rarely to hand to people
MIN_R2 = 0.5  # regression: explains less than half the spread of the numbers
WEAK_RECALL = 0.5  # a class found less than half the time is a broken promise for that class
MIN_SUPPORT = 5  # fewer validation rows of a class say too little to block a release on
HIGH_ECE = 0.1  # stated confidence off by more than 10 points on average
SMALL_VALIDATION = 30  # rows: below this every percentage swings by several points
SHOWN_RISKS = 3


@dataclass(frozen=True)
class Risk:
    """One thing to watch: ``kind`` is ``weak_class``, ``slice``, ``calibration`` or ``small_validation``;
    ``subject`` is the class or slice it is about (``(by, value)`` for a slice); ``value`` its number
    (recall, accuracy, calibration error or rows); ``rows`` how many validation rows back it."""

    kind: str
    subject: Any = None
    value: float = 0.0
    rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The recommendation (``verdict``), why (``reason``), the numbers it rests on and the risks, worst first."""

    verdict: str
    reason: str
    metric: str | None = None
    score: float | None = None
    baseline: float | None = None
    risks: tuple[Risk, ...] = ()

    @property
    def top_risks(self) -> tuple[Risk, ...]:
        return self.risks[:SHOWN_RISKS]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def decide(metrics: dict[str, Any], slices: Any = None) -> Decision:
    """The recommendation for a run from its ``metrics.json`` and, when the texts may be read, its slice
    table (``slices.slice_table``: ``by``, ``value``, ``rows``, ``accuracy``, ``below_overall``)."""
    risks = tuple(_risks(metrics, slices))
    metric = metrics.get("main_metric")
    score = _number(metrics.get(metric or ""))
    if score is None:
        return Decision(NOT_YET, "no_score", metric, None, None, risks)
    higher = metrics.get("higher_is_better", True)
    base = _number((metrics.get("baseline") or {}).get(metric or ""))
    if metrics.get("model_kind") != BASELINE_MODEL and base is not None:
        gain = (score - base) if higher else (base - score)
        if gain < -TIE:
            return Decision(USE_BASELINE, "baseline_better", metric, score, base, risks)
        if gain <= TIE:
            return Decision(USE_BASELINE, "baseline_tie", metric, score, base, risks)
    good = score >= MIN_SCORE if higher else _number(metrics.get("r2")) is None or metrics["r2"] >= MIN_R2
    if not good:
        return Decision(NOT_YET, "low_score", metric, score, base, risks)
    if any(r.kind == "weak_class" and r.rows >= MIN_SUPPORT for r in risks):
        return Decision(NOT_YET, "weak_class", metric, score, base, risks)
    return Decision(SHIP, "good", metric, score, base, risks)


def _risks(metrics: dict[str, Any], slices: Any) -> list[Risk]:
    out = [*_weak_classes(metrics), *_weak_slices(slices), *_calibration(metrics)]
    rows = metrics.get("n_val", metrics.get("n"))
    if isinstance(rows, int) and 0 < rows < SMALL_VALIDATION:
        out.append(Risk("small_validation", value=rows, rows=rows))
    return out


def _weak_classes(metrics: dict[str, Any]) -> list[Risk]:
    per = metrics.get("per_class") or {}
    if metrics.get("task") == "regression":
        return []
    weak = [Risk("weak_class", str(name), float(r["recall"]), int(r.get("support", 0)),
                 {"precision": float(r.get("precision", 0.0))})
            for name, r in per.items() if r.get("support", 0) > 0 and r.get("recall", 1.0) < WEAK_RECALL]
    return sorted(weak, key=lambda r: (r.value, -r.rows))


def _weak_slices(table: Any) -> list[Risk]:
    """Slices whose whole 95 % interval lies under the overall accuracy: weaker beyond doubt, worst first."""
    if table is None or len(table) == 0 or "below_overall" not in table:
        return []
    worse = table[table["below_overall"].astype(bool)]
    return [Risk("slice", (str(r.by), str(r.value)), float(r.accuracy), int(r.rows)) for r in worse.itertuples()]


def _calibration(metrics: dict[str, Any]) -> list[Risk]:
    ece = _number(metrics.get("ece"))
    if ece is None or ece <= HIGH_ECE:
        return []
    bins = (metrics.get("calibration") or {}).get("bins") or []
    count = sum(b["count"] for b in bins) or 1
    said = sum(b["confidence"] * b["count"] for b in bins) / count
    right = sum(b["accuracy"] * b["count"] for b in bins) / count
    return [Risk("calibration", "over" if said >= right else "under", ece, metrics.get("n_val", 0) or 0,
                 {"said": said, "right": right})]
