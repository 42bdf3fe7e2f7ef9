"""The run protocol, said once: statuses, the events a run logs, the shape of ``metrics.json``.

A run's story is a stream of events: ``training.py`` builds them here and writes them (one JSON
object per line) to ``history.jsonl``; ``jobs.py``, the CLI, coaching and the live charts read them
back with ``parse_event``. On the wire an event is a flat dict whose ``"type"`` names its kind; the
field names and the order of keys are those of the history files written so far, so old run
folders keep loading. A new event kind is one dataclass below plus one line in ``EVENT_TYPES``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Iterable, Union

BASELINE_MODEL = "tfidf"  # the classical baseline, also a model of its own (see baseline.py)
KIND_KEY = "type"  # the key of an event dict that names its kind


class RunStatus(StrEnum):
    """Where a run stands. ``status.json`` in the run folder is the truth on disk."""

    QUEUED = "queued"
    RUNNING = "running"
    STOPPING = "stopping"  # asked to stop; only in memory (the run stops at its next step)
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # was active when the process running it ended
    UNKNOWN = "unknown"  # no readable status.json


ACTIVE = frozenset({RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.STOPPING})
FINAL = frozenset({RunStatus.COMPLETED, RunStatus.STOPPED, RunStatus.FAILED, RunStatus.INTERRUPTED})
HAS_MODEL = frozenset({RunStatus.COMPLETED, RunStatus.STOPPED})  # finished with a saved model


class EventKind(StrEnum):
    START = "start"
    TRAIN = "train"
    EVAL = "eval"
    STATUS = "status"
    NOTICE = "notice"
    BASELINE = "baseline"
    EARLY_STOP = "early_stop"
    PHASE = "phase"


@dataclass
class _Event:
    """Base of every event: ``to_dict`` gives the history line, ``time`` is filled when emitted."""

    kind: ClassVar[EventKind]
    omit_none: ClassVar[tuple[str, ...]] = ()  # optional keys that old lines leave out when unset

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {KIND_KEY: self.kind.value}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "metrics":
                out.update(value)
            elif value is not None or (f.name not in self.omit_none and f.name != "time"):
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "_Event":
        names = _field_names(cls)
        kwargs = {k: data[k] for k in names.intersection(data)}
        if "metrics" in names:
            kwargs["metrics"] = {k: v for k, v in data.items()
                                 if k not in names and k != KIND_KEY and _is_number(v)}
        return cls(**kwargs)


@dataclass
class Start(_Event):
    """Training is about to begin: what, where, and how long."""

    kind: ClassVar[EventKind] = EventKind.START
    omit_none: ClassVar[tuple[str, ...]] = ("resumed_from",)
    device: str = ""
    amp: str = "None"
    task: str = ""
    labels: list[str] = field(default_factory=list)
    n_train: int = 0
    n_val: int = 0
    total_steps: int = 0
    batch_size: int = 0
    epochs: int = 0
    model: str = ""
    resumed_from: int | None = None  # a resumed run goes on from this step; what was logged after it is void
    time: float | None = None


@dataclass
class TrainStep(_Event):
    """Training progress, about twice a second: the mean loss since the last one and the speed."""

    kind: ClassVar[EventKind] = EventKind.TRAIN
    omit_none: ClassVar[tuple[str, ...]] = ("gpu_memory_gb",)
    step: int = 0
    epoch: float = 0.0
    loss: float = 0.0
    learning_rate: float | None = None
    samples_per_second: float = 0.0
    tokens_per_second: float = 0.0
    progress: float = 0.0
    elapsed: float = 0.0
    eta: float | None = None
    batch_size: int = 0
    gpu_memory_gb: float | None = None  # CUDA only
    time: float | None = None


@dataclass
class Evaluation(_Event):
    """One evaluation on the validation split; ``metrics`` holds its numbers (``accuracy``, ``rmse``...)."""

    kind: ClassVar[EventKind] = EventKind.EVAL
    omit_none: ClassVar[tuple[str, ...]] = ("eval_loss",)
    is_best: bool = False
    metrics: dict[str, float] = field(default_factory=dict)
    eval_loss: float | None = None  # none for the TF-IDF model
    step: int = 0
    epoch: float = 0.0
    time: float | None = None


@dataclass
class Status(_Event):
    """The run's status changed (the same change is written to ``status.json``)."""

    kind: ClassVar[EventKind] = EventKind.STATUS
    omit_none: ClassVar[tuple[str, ...]] = ("reason",)
    status: RunStatus = RunStatus.UNKNOWN
    reason: str | None = None
    time: float | None = None

    def __post_init__(self) -> None:
        self.status = parse_status(self.status)


@dataclass
class Notice(_Event):
    """Something the user should know (a note on the data, a smaller batch after out-of-memory)."""

    kind: ClassVar[EventKind] = EventKind.NOTICE
    omit_none: ClassVar[tuple[str, ...]] = ("level", "key", "values")
    level: str | None = None  # "warning", or none for a plain note
    message: str = ""  # in English (logs, the CLI, old readers)
    time: float | None = None
    key: str | None = None  # its catalog key: each reader sees it in their own language (``text``)
    values: dict[str, Any] | None = None

    @classmethod
    def of(cls, key: str, level: str | None = None, **values: Any) -> "Notice":
        """A notice said in words from the catalog: kept in English, shown in the reader's language."""
        from tuneboard.i18n import english

        return cls(level=level, message=english(key, **values), key=key, values=values or None)

    def text(self) -> str:
        """The notice in the current language (a notice from before keys, or without one, as written)."""
        from tuneboard.i18n import t

        return t(self.key, **(self.values or {})) if self.key else self.message


@dataclass
class Baseline(_Event):
    """The TF-IDF baseline's scores on the same validation split (``metrics`` includes ``fit_seconds``)."""

    kind: ClassVar[EventKind] = EventKind.BASELINE
    metrics: dict[str, float] = field(default_factory=dict)
    time: float | None = None


@dataclass
class EarlyStop(_Event):
    """Training stopped before its last epoch because the validation score stopped improving.

    ``reason`` is the sentence the live panel and the CLI show; ``best_step`` is the kept checkpoint's step."""

    kind: ClassVar[EventKind] = EventKind.EARLY_STOP
    omit_none: ClassVar[tuple[str, ...]] = ("patience", "min_delta")
    step: int = 0
    epoch: float = 0.0
    metric: str = ""
    best: float | None = None
    best_step: int | None = None
    reason: str = ""  # in English (logs, the CLI, old readers)
    time: float | None = None
    patience: int | None = None  # with ``min_delta``: what ``text`` says the reason from, in any language
    min_delta: float | None = None

    def text(self) -> str:
        """The reason in the current language (an event from before the settings were recorded, as written)."""
        if self.patience is None:
            return self.reason
        return stop_reason(self.metric, self.patience, self.min_delta or 0.0)


# How status.json said these two reasons before it kept their keys (``reason_code``): old run folders still do
STOPPED_REASON = "Stopped by the user; the best model so far was kept."
EARLY_PREFIX = "Stopped early: "  # + the early stop's reason


def reason_text(reason: str | None) -> str | None:
    """A status reason as the reader reads it: a catalog text (``RunDir.status`` gives one for each reason kept
    with its key) and the two Tuneboard wrote in English before keys were kept, in the reader's language; any
    other (a failure of an old run) as written."""
    from tuneboard.i18n import Said, retell, t

    if isinstance(reason, Said):
        return retell(reason)
    if reason == STOPPED_REASON:
        return t("engine.status.stopped_by_user")
    if reason and reason.startswith(EARLY_PREFIX):
        return t("engine.status.stopped_early")
    return reason


METRIC_NAMES = {"accuracy": "engine.coach.accuracy", "macro_f1": "engine.coach.metric_macro_f1",
                "micro_f1": "engine.coach.metric_micro_f1", "rmse": "engine.coach.metric_rmse"}


def metric_name(name: str | None) -> str:
    """A metric's name in the reader's language (accuracy, macro-F1...; another metric by its own name)."""
    from tuneboard.i18n import t

    if name in METRIC_NAMES:
        return t(METRIC_NAMES[name])
    return name or t("engine.coach.the_score")


def stop_reason(metric: str, patience: int, min_delta: float) -> str:
    """Why early stopping ended a run, in the current language."""
    from tuneboard.i18n import t

    by = t("engine.stop.by", delta=f"{min_delta:g}") if min_delta > 0 else ""
    key = "engine.stop.reason_one" if patience == 1 else "engine.stop.reason_many"
    return t(key, metric=metric_name(metric), by=by, patience=patience)


@dataclass
class Phase(_Event):
    """How long one part of the run took (wall seconds): ``data``, ``tokenize``, ``evaluation`` (with
    its ``rows``), ``baseline_wait``, ``saving``. For the benchmark's phase profile, not for display."""

    kind: ClassVar[EventKind] = EventKind.PHASE
    omit_none: ClassVar[tuple[str, ...]] = ("rows",)
    name: str = ""
    seconds: float = 0.0
    rows: int | None = None
    time: float | None = None


Event = Union[Start, TrainStep, Evaluation, Status, Notice, Baseline, EarlyStop, Phase]
EVENT_TYPES: dict[str, type[_Event]] = {c.kind.value: c for c in (Start, TrainStep, Evaluation, Status,
                                                                   Notice, Baseline, EarlyStop, Phase)}


def parse_event(data: dict[str, Any]) -> Event | None:
    """The typed event of a history line; ``None`` for a kind this version does not know.
    Unknown keys are ignored and missing ones take their defaults (old history files)."""
    cls = EVENT_TYPES.get(str(data.get(KIND_KEY)))
    return cls.from_dict(data) if cls else None  # type: ignore[return-value]


def parse_events(lines: Iterable[dict[str, Any]]) -> list[Event]:
    """Every event of a history that this version knows, in order."""
    return [e for e in map(parse_event, lines) if e is not None]


def kind_of(data: dict[str, Any]) -> EventKind | None:
    """The kind of an event dict without parsing it (for cheap filtering of long histories)."""
    return _KINDS.get(data.get(KIND_KEY))  # type: ignore[arg-type]


def parse_status(value: Any) -> RunStatus:
    """A status word from a file or an event; ``UNKNOWN`` for anything this version does not know."""
    try:
        return RunStatus(value)
    except ValueError:
        return RunStatus.UNKNOWN


def update_progress(latest: dict[str, Any], event: Event) -> None:
    """Fold a start or train event into a run's latest progress (what the live panel and sidebar show)."""
    if isinstance(event, (Start, TrainStep)):
        latest.update((k, v) for k, v in event.to_dict().items() if k != KIND_KEY)


@dataclass(frozen=True)
class RunMetrics:
    """``metrics.json``: the kept model's validation scores and how the run went.

    ``scores`` is ``metrics.compute_metrics``'s dict (plus ``eval_loss`` for a fine-tuned model,
    ``fit_seconds`` for the TF-IDF model); the rest is filled where it applies and left out otherwise.
    """

    task: str
    labels: list[str]
    main_metric: str
    higher_is_better: bool
    scores: dict[str, Any]
    n_train: int
    n_val: int
    model_kind: str | None = None  # BASELINE_MODEL for a TF-IDF run
    best_step: int | None = None
    best_epoch: float | None = None
    train_runtime_s: float | None = None
    train_samples_per_second: float | None = None
    train_cpu_s: float | None = None  # process CPU seconds in training steps (robust to a busy machine)
    train_tokens_per_second: float | None = None
    wall_time_s: float | None = None
    batch_size_final: int | None = None
    baseline: dict[str, Any] | None = None  # the TF-IDF baseline's scores beside a fine-tuned model
    distilled_from: str | None = None  # the teacher run's id, for a student made by distill.py
    stop_reason: str | None = None  # why training ended before its last epoch (early stopping)
    class_weighting: str | None = None  # what the run did about imbalanced classes: none | weighted | sampling
    imbalance_ratio: float | None = None  # largest class / smallest class in the training rows
    lora: dict[str, Any] | None = None  # LoRA runs: rank, alpha, trainable parameters, adapter bytes

    def to_dict(self) -> dict[str, Any]:
        head = ("task", "labels", "main_metric", "higher_is_better", "model_kind", "distilled_from", "best_step",
                "best_epoch")
        speed = ("train_runtime_s", "train_samples_per_second", "train_cpu_s", "train_tokens_per_second",
                 "wall_time_s", "batch_size_final")
        out = {k: getattr(self, k) for k in head if getattr(self, k) is not None}
        out.update(self.scores)
        out.update({k: getattr(self, k) for k in speed if getattr(self, k) is not None})
        out.update(n_train=self.n_train, n_val=self.n_val)
        if self.baseline is not None:
            out["baseline"] = self.baseline
        for k in ("stop_reason", "class_weighting", "imbalance_ratio", "lora"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out


def scalars(numbers: dict[str, Any]) -> dict[str, float]:
    """The plain numbers of a metrics dict (what an evaluation event carries; no per-class tables)."""
    return {k: v for k, v in numbers.items() if _is_number(v) and not k.startswith("_")}


def _field_names(cls: type) -> frozenset[str]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return names


_NAMES: dict[type, frozenset[str]] = {}
_KINDS = {k.value: k for k in EventKind}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class TrialStatus(StrEnum):
    """Where one trial of a hyperparameter search stands (``study.json``; see search.py and studies.py)."""

    RUNNING = "running"
    COMPLETE = "complete"
    PRUNED = "pruned"  # stopped early by the search: its first evaluations were worse than the other trials'
    FAILED = "failed"
    STOPPED = "stopped"  # the search was stopped while this trial ran


# The headline metrics of each task, most telling first: all that Evaluate's tiles, the report, the runs list,
# Compare's table, the CLI and an exported model card show of a run's scores (the curves and per-class tables
# have their own pages).
HEADLINES: dict[str, tuple[str, ...]] = {"single_label": ("accuracy", "macro_f1", "weighted_f1"),
                                         "multi_label": ("micro_f1", "macro_f1", "subset_accuracy"),
                                         "regression": ("rmse", "mae", "r2")}
# Every task's together, in one order: for a table or a line whose runs may be of any task.
HEADLINE_METRICS: tuple[str, ...] = tuple(dict.fromkeys(k for keys in HEADLINES.values() for k in keys))


def headline_scores(numbers: dict[str, Any], extra: tuple[str, ...] = ()) -> dict[str, float]:
    """The headline metrics (then ``extra``, e.g. ``eval_loss``) that ``numbers`` holds as numbers, in order."""
    return {k: numbers[k] for k in (*HEADLINE_METRICS, *extra) if _is_number(numbers.get(k))}
