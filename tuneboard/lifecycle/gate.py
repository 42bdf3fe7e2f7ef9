"""The retraining gate, as pure functions: numbers in, a verdict out. Nothing here reads a file or trains.

A retrained model becomes the candidate only when, on the evaluation file the team chose, its main
metric beats production's and no slice of that file (a column's value, a length, a script: data/slices.py)
loses more than ``margin`` accuracy. ``rule_fires`` says when a rule (every N new labels, or drift
above a threshold) asks for a retraining without a click.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

RULES = ("click", "every_n", "drift")  # click: only when someone presses Retrain


@dataclass(frozen=True)
class GateSettings:
    """What the team chose: the fixed evaluation file, the largest slice drop allowed (accuracy, 0-1), the
    rule that starts a retraining by itself, and its threshold."""

    eval_file: str
    margin: float = 0.05
    rule: str = "click"
    every_n: int = 50
    drift_psi: float = 0.25
    min_gain: float = 0.0  # the candidate must beat production by more than this

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(RULES)}, not {self.rule!r}")
        if not 0 <= self.margin <= 1 or self.every_n < 1 or self.drift_psi <= 0 or self.min_gain < 0:
            raise ValueError("margin in 0..1, every_n >= 1, drift_psi > 0 and min_gain >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GateSettings":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class Verdict:
    """The gate's answer and the numbers behind it. ``reason``: ``better`` (passed), ``not_better`` or
    ``slice_drop``; ``worst_slice``: the slice that lost the most (``by``, ``value``, ``rows``, both accuracies,
    ``drop``), or None when no slice was comparable."""

    passed: bool
    reason: str
    metric: str
    production: float
    candidate: float
    gain: float
    margin: float
    worst_slice: dict[str, Any] | None = None
    slices_compared: int = 0
    drops: list[dict[str, Any]] = field(default_factory=list)  # every slice that lost more than the margin

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(production: dict[str, Any], candidate: dict[str, Any], metric: str, higher_is_better: bool,
          settings: GateSettings, production_slices: list[dict[str, Any]] = (),
          candidate_slices: list[dict[str, Any]] = ()) -> Verdict:
    """The verdict on ``candidate`` against ``production`` (each a metrics dict on the same evaluation file;
    slices: rows of ``slice_table`` on that file, with ``by``, ``value``, ``rows``, ``accuracy``)."""
    before, after = float(production[metric]), float(candidate[metric])
    gain = after - before if higher_is_better else before - after
    drops = slice_drops(production_slices, candidate_slices)
    worst = max(drops, key=lambda d: d["drop"], default=None)
    over = [d for d in drops if d["drop"] > settings.margin + 1e-12]
    if gain <= settings.min_gain:
        reason = "not_better"
    elif over:
        reason = "slice_drop"
    else:
        reason = "better"
    return Verdict(passed=reason == "better", reason=reason, metric=metric, production=before, candidate=after,
                   gain=gain, margin=settings.margin, worst_slice=worst, slices_compared=len(drops), drops=over)


def slice_drops(production: list[dict[str, Any]], candidate: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each slice in both tables: its rows, both accuracies and the drop (production - candidate)."""
    theirs = {(str(r["by"]), str(r["value"])): r for r in candidate}
    out = []
    for r in production:
        key = (str(r["by"]), str(r["value"]))
        if key in theirs:
            before, after = float(r["accuracy"]), float(theirs[key]["accuracy"])
            out.append({"by": key[0], "value": key[1], "rows": int(r["rows"]), "production": before,
                        "candidate": after, "drop": before - after})
    return out


def rule_fires(settings: GateSettings, new_labels: int, drift_psi: float | None) -> bool:
    """Whether the rule asks for a retraining now: ``every_n`` once that many labels arrived since the last
    one; ``drift`` once the served confidence's PSI reaches the threshold; ``click`` never by itself."""
    if settings.rule == "every_n":
        return new_labels >= settings.every_n
    if settings.rule == "drift":
        return drift_psi is not None and drift_psi >= settings.drift_psi
    return False
