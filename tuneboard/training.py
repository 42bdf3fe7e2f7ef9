"""One run, start to finish: check -> encode -> fit -> evaluate -> save. Progress leaves only through
``on_event``, as the protocol's event dicts (the same lines that go to ``history.jsonl``).

``execute`` is what the CLI, the run queue and the tests call. The fine-tuning itself is
``trainer.Trainer``; the TF-IDF baseline fitted beside every run (or as the run's model) is
``baseline.fit_on_split``; what a run leaves behind is written by ``results.save_results``.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .baseline import BaselineResult, fit_on_split
from .checks import check_config
from .device import free_memory
from .errors import TuneboardError, unexpected_reason
from .protocol import BASELINE_MODEL, Baseline, Evaluation, Event, Notice, RunStatus, Status, scalars
from .results import run_metrics, save_results
from .runs import RunDir, create_run, runs_root
from .trainer import Trainer

if TYPE_CHECKING:
    from .config import TrainConfig
    from .data import PreparedData

__all__ = ["RunResult", "check_config", "execute"]
EventFn = Callable[[dict[str, Any]], None]
Emit = Callable[[Event], None]
STOPPED_REASON = "Stopped by the user; the best model so far was kept."


@dataclass
class RunResult:
    run: RunDir
    status: RunStatus
    metrics: dict[str, Any]


def execute(config: TrainConfig, on_event: EventFn | None = None, stop: threading.Event | None = None,
            run: RunDir | None = None, data: PreparedData | None = None) -> RunResult:
    """Prepare, train, evaluate and save one run. Bad input raises before a folder is made
    (unless ``run`` is given); afterwards every outcome is written to the run's status."""
    stop = stop or threading.Event()
    if run is None:
        data = data or check_config(config)
        run = create_run(config)
    emit = _emitter(run, on_event)

    def set_status(status: RunStatus, reason: str | None = None) -> None:
        run.set_status(status, reason)  # status.json: the truth on disk
        # the event carries a reason only for a failure, as every history file so far has
        emit(Status(status=status, reason=reason if status == RunStatus.FAILED else None))

    try:
        data = data or check_config(config)
        set_status(RunStatus.RUNNING)
        for note in data.notes + data.warnings:
            emit(Notice(message=note))
        metrics, stopped = _train(config, data, run, emit, stop)
        status = RunStatus.STOPPED if stopped else RunStatus.COMPLETED
        early = metrics.get("stop_reason")
        set_status(status, STOPPED_REASON if stopped else f"Stopped early: {early}." if early else None)
        return RunResult(run, status, metrics)
    except TuneboardError as e:
        set_status(RunStatus.FAILED, str(e))
        raise
    except BaseException as e:
        set_status(RunStatus.FAILED, unexpected_reason(e))
        raise
    finally:
        free_memory()


def _train(config: TrainConfig, data: PreparedData, run: RunDir, emit: Emit,
           stop: threading.Event) -> tuple[dict[str, Any], bool]:
    """The pipeline; returns (metrics as written, whether the user stopped it)."""
    if config.model == BASELINE_MODEL:
        return _baseline_run(data, config.seed, run, emit), False
    baseline = _baseline(data, config.seed, run, emit)
    trainer = Trainer(config, data, emit, stop)
    trainer.encode(cache=runs_root().parent / "cache" / "tokens")
    stopped = trainer.fit()
    best = trainer.evaluate()
    trainer.save(run.model_dir)
    metrics = run_metrics(data, best.metrics, best_step=best.step, best_epoch=best.epoch,
                          baseline=baseline.metrics if baseline else None, **trainer.throughput(),
                          **trainer.extras)
    return save_results(run, data, best.scores, metrics), stopped


def _baseline(data: PreparedData, seed: int, run: RunDir, emit: Emit,
              as_model: bool = False) -> BaselineResult | None:
    """TF-IDF + logistic regression on the same split: seconds, and never fails the run."""
    try:
        result = fit_on_split(data, seed, run.model_dir if as_model else run.path / "baseline")
    except Exception as e:  # noqa: BLE001 -- a missing baseline must not cost the user the run
        emit(Notice(level="warning", message=f"The TF-IDF baseline could not be fitted ({type(e).__name__}: {e})."))
        return None
    emit(Baseline(metrics=scalars(result.metrics)))
    return result


def _baseline_run(data: PreparedData, seed: int, run: RunDir, emit: Emit) -> dict[str, Any]:
    """A run whose model is the TF-IDF baseline itself."""
    baseline = _baseline(data, seed, run, emit, as_model=True)
    if baseline is None:
        raise TuneboardError("The TF-IDF model could not be fitted on this data. Check the notices above.")
    emit(Evaluation(is_best=True, metrics=scalars(baseline.metrics), step=0, epoch=1.0))
    seconds = baseline.metrics["fit_seconds"]
    metrics = run_metrics(data, baseline.metrics, model_kind=BASELINE_MODEL, train_runtime_s=seconds,
                          wall_time_s=seconds)
    return save_results(run, data, baseline.scores, metrics)


def _emitter(run: RunDir, on_event: EventFn | None) -> Emit:
    """Stamp an event, append it to the run's history and hand its dict to ``on_event``."""

    def emit(event: Event) -> None:
        if event.time is None:
            event.time = time.time()
        line = event.to_dict()
        run.append_event(line)
        if on_event:
            on_event(line)

    return emit
