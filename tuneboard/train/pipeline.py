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

from tuneboard.data.checks import check_config
from tuneboard.errors import DiskFull, RunError, TuneboardError, unexpected_reason
from tuneboard.files import disk_full, is_disk_full
from tuneboard.i18n import DEFAULT, Said, retell, said, t
from tuneboard.model.device import free_memory
from tuneboard.paths import RunFiles, workspace
from tuneboard.predict.baseline import BaselineResult, fit_on_split
from tuneboard.protocol import (
    BASELINE_MODEL,
    Baseline,
    Evaluation,
    Event,
    Notice,
    Phase,
    RunStatus,
    Status,
    scalars,
)
from tuneboard.runs.card import limitations, write_card
from tuneboard.runs.folder import RunDir, create_run
from tuneboard.runs.liveness import Heartbeat, end_if_orphaned
from tuneboard.runs.receipt import begin_receipt, complete_receipt
from tuneboard.runs.results import run_metrics, save_results
from tuneboard.train import distributed, energy
from tuneboard.train.baseline_thread import BaselineJob, baseline_failed
from tuneboard.train.checkpoint import CheckpointUnreadable, checkpoint_dir, discard_checkpoint, has_checkpoint, reopen
from tuneboard.train.loop import Trainer
from tuneboard.train.tracking import tracked

if TYPE_CHECKING:
    from tuneboard.config import TrainConfig
    from tuneboard.data.prepare import PreparedData

__all__ = ["RunResult", "check_config", "execute"]
EventFn = Callable[[dict[str, Any]], None]
Emit = Callable[[Event], None]


@dataclass
class RunResult:
    run: RunDir
    status: RunStatus
    metrics: dict[str, Any]


def execute(config: TrainConfig, on_event: EventFn | None = None, stop: threading.Event | None = None,
            run: RunDir | None = None, data: PreparedData | None = None, resume: bool = False) -> RunResult:
    """Prepare, train, evaluate and save one run. Bad input raises before a folder is made
    (unless ``run`` is given); afterwards every outcome is written to the run's status.
    ``resume``: ``run`` was interrupted; go on from its checkpoint (or from the start if it has none)
    to the same number of steps. A finished run's checkpoint is deleted; an interrupted one's is kept."""
    stop = stop or threading.Event()
    if run is None:
        if resume:
            raise RunError(t("engine.err.run.resume_needs_folder"))
        data = data or check_config(config)
        run = create_run(config)
    if resume:
        reopen(run)
    emit = tracked(_emitter(run, on_event), config, run)  # TensorBoard, and MLflow when asked (tracking.py)
    keep_checkpoint = False
    # "still training", for liveness.alive (not the PID); each beat also looks for a stop file (how a
    # Stop reaches a run trained by other processes, e.g. an accelerate launch)
    heartbeat = Heartbeat(run.path, on_beat=lambda: distributed.stop_requested(run.path) and stop.set()).start()

    def set_status(status: RunStatus, reason: str | None = None) -> None:
        run.set_status(status, reason)  # status.json: the truth on disk
        # the event carries a reason only for a failure, as every history file so far has, in English
        emit(Status(status=status, reason=retell(reason, DEFAULT) if status == RunStatus.FAILED else None))

    def fail(reason: str) -> None:
        try:
            set_status(RunStatus.FAILED, reason)
        except OSError:  # the disk may still be full: the raised error below still reaches the caller
            pass

    try:
        data = data or check_config(config)
        set_status(RunStatus.RUNNING)
        begin_receipt(run, config)  # what rebuilds the run, before it starts: its data's hashes, settings, versions
        _announce(emit, data, run, resume)
        with energy.measured() as used:
            metrics, stopped = _train(config, data, run, emit, stop, resume)
        _leave_receipt_and_card(run, data, emit, used)
        status = RunStatus.STOPPED if stopped else RunStatus.COMPLETED
        early = metrics.get("stop_reason")
        set_status(status, said("engine.status.stopped_by_user") if stopped
                   else said("engine.reason.stopped_early", why=early) if early else None)
        return RunResult(run, status, metrics)
    except TuneboardError as e:
        if isinstance(e, DiskFull):
            _drop_partial_outputs(run)
        fail(e.reason())
        # the data or the checkpoint could not be read: once they can, the run can resume
        keep_checkpoint = data is None or isinstance(e, CheckpointUnreadable)
        raise
    except BaseException as e:
        reason, plain, keep_checkpoint = _what_failed(e, run)
        fail(reason)
        if plain is not None:
            raise plain from e
        raise
    finally:
        if not keep_checkpoint:
            discard_checkpoint(run.path)
        heartbeat.stop()
        free_memory()


def _leave_receipt_and_card(run: RunDir, data: PreparedData, emit: Emit, used: dict[str, Any]) -> None:
    """Complete the receipt and write the model card; the model is saved, so neither may cost the run."""
    try:
        complete_receipt(run, energy=used, limitations=limitations(data))
        if run.model_dir.is_dir():
            write_card(run)
    except Exception as e:  # noqa: BLE001 -- a card (even one a full disk stopped) is not the model: keep the run
        emit(Notice.of("receipts.notice.card_failed", reason=type(e).__name__))


def _announce(emit: Emit, data: PreparedData, run: RunDir, resume: bool) -> None:
    """The first lines of a run's history: reading the data took this long; what the data's checks noted."""
    emit(Phase(name="data", seconds=data.read_seconds))
    for note in [] if resume else data.notes + data.warnings:  # a resumed run has them in its history
        emit(Notice.of(note.key, **note.values) if isinstance(note, Said) else Notice(message=note))
    if resume and not has_checkpoint(run.path):
        emit(Notice.of("engine.notice.restart"))


def _what_failed(e: BaseException, run: RunDir) -> tuple[str, TuneboardError | None, bool]:
    """For a run that ended with ``e``: the status reason, the plain error to raise instead of ``e`` (None:
    ``e`` itself) and whether the checkpoint stays for a later resume."""
    if is_disk_full(e):  # say what happened, not which library noticed; drop the half-written model
        full = disk_full(run.path)
        _drop_partial_outputs(run)
        return full.reason(), full, False
    lost = distributed.lost_process(e)  # another rank died: one plain line, not a library's message
    if lost is not None:
        end_if_orphaned()  # it died with the server that started us both: interrupted, not failed
        return lost.reason(), lost, False
    return unexpected_reason(e), None, not isinstance(e, Exception)  # Ctrl-C, exit: `train --resume` can go on


def _train(config: TrainConfig, data: PreparedData, run: RunDir, emit: Emit,
           stop: threading.Event, resume: bool = False) -> tuple[dict[str, Any], bool]:
    """The pipeline; returns (metrics as written, whether the user stopped it)."""
    if config.model == BASELINE_MODEL:
        return _baseline_run(data, config.seed, run, emit), False
    # the baseline is fitted beside the model's loading and training, off the critical path (background.py)
    job = BaselineJob(lambda: fit_on_split(data, config.seed, run.path / "baseline"))

    def emit_all(event: Event) -> None:  # the baseline's event goes out with the next one of the run's own
        job.report(emit)
        emit(event)

    try:
        trainer = make_trainer(config, data, emit_all, stop)
        t0 = time.perf_counter()
        trainer.encode(cache=workspace().token_cache, used_by=run.path)
        emit_all(Phase(name="tokenize", seconds=time.perf_counter() - t0))
        stopped = trainer.fit(checkpoint_dir(run.path), resume)
        best = trainer.evaluate()
        baseline = job.result(emit)
        t0 = time.perf_counter()
        trainer.save(run.model_dir)
        metrics = run_metrics(data, best.metrics, best_step=best.step, best_epoch=best.epoch,
                              baseline=baseline.metrics if baseline else None, **trainer.throughput(),
                              **trainer.extras)
        out = save_results(run, data, best.scores, metrics)
        emit(Phase(name="saving", seconds=time.perf_counter() - t0))
        return out, stopped
    finally:
        job.join()  # a failed run does not leave the thread writing into its folder


# The class of each kind of trainer (``TrainConfig.trainer``, one of config.TRAINERS), as "module:Class" so a kind's
# heavier module loads only when a run uses it. A new kind: one line here and its name in config.TRAINERS.
# ``auto`` is not a class: it becomes ``fewshot`` or ``finetune`` by the run's labels (fewshot.trainer_kind).
TRAINER_CLASSES = {
    "finetune": "tuneboard.train.loop:Trainer",
    "distill": "tuneboard.train.student:DistillTrainer",  # its recipe: config.distill
    "fewshot": "tuneboard.train.fewshot:FewShotTrainer",  # SetFit's recipe, for a handful of labels per class
}


def make_trainer(config: TrainConfig, data: PreparedData, emit: Emit, stop: threading.Event) -> Trainer:
    """The run's trainer, of the kind its config names (``config.trainer``; ``auto`` decided by the labels)."""
    import importlib

    kind = config.trainer
    if kind in ("auto", "fewshot"):
        from tuneboard.train.fewshot import trainer_kind

        kind = trainer_kind(config, data)
    module, name = TRAINER_CLASSES[kind].split(":")
    return getattr(importlib.import_module(module), name)(config, data, emit, stop)


def _baseline(data: PreparedData, seed: int, run: RunDir, emit: Emit,
              as_model: bool = False) -> BaselineResult | None:
    """TF-IDF + logistic regression on the same split: seconds, and never fails the run."""
    try:
        result = fit_on_split(data, seed, run.model_dir if as_model else run.path / "baseline")
    except Exception as e:  # noqa: BLE001 -- a missing baseline must not cost the user the run
        if as_model and (isinstance(e, DiskFull) or is_disk_full(e)):
            raise  # it is the run's model: the run fails, and its reason is the full disk, not the data
        emit(baseline_failed(e))
        return None
    emit(Baseline(metrics=scalars(result.metrics)))
    return result


def _baseline_run(data: PreparedData, seed: int, run: RunDir, emit: Emit) -> dict[str, Any]:
    """A run whose model is the TF-IDF baseline itself."""
    baseline = _baseline(data, seed, run, emit, as_model=True)
    if baseline is None:
        raise TuneboardError(t("engine.err.tfidf.not_fitted"))
    emit(Evaluation(is_best=True, metrics=scalars(baseline.metrics), step=0, epoch=1.0))
    seconds = baseline.metrics["fit_seconds"]
    metrics = run_metrics(data, baseline.metrics, model_kind=BASELINE_MODEL, train_runtime_s=seconds,
                          wall_time_s=seconds)
    return save_results(run, data, baseline.scores, metrics)


def _drop_partial_outputs(run: RunDir) -> None:
    """After a write failed for lack of space: remove the model and predictions it left half-written."""
    import shutil

    shutil.rmtree(run.model_dir, ignore_errors=True)
    (run.path / RunFiles.PREDICTIONS).unlink(missing_ok=True)


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
