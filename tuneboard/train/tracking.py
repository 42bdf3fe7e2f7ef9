"""Experiment tracking the ecosystem's way: every run's events also go to TensorBoard, and to MLflow when asked.

The run folder stays the source of truth; these are copies for the tools people already use.
- TensorBoard: event files in the run folder itself, so ``tensorboard --logdir models/runs`` shows one curve
  set per run, named by its run id (``train/loss``, ``train/learning_rate``, ``eval/<metric>``, ``baseline/<metric>``).
- MLflow: on when the run's ``mlflow`` setting is on or ``MLFLOW_TRACKING_URI`` is set. Params (the
  ``TrainConfig``), metrics per step (``train_loss``, ``eval_<metric>``...) and, for a run that kept a model,
  its scores as plain names (``macro_f1``: the kept model's, as in ``metrics.json``) and its model folder.
  Default store: ``sqlite:///models/mlflow.db`` with artifacts under ``models/mlartifacts``, because MLflow 3
  refuses its plain-folder store ("maintenance mode") unless an environment variable opts back in.

A tracker never fails a run: the first error of a backend turns it off for the rest of the run and becomes
one warning ``Notice`` in the run's history.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from tuneboard.errors import first_line
from tuneboard.files import make_private
from tuneboard.protocol import (
    FINAL,
    HAS_MODEL,
    Baseline,
    Evaluation,
    Event,
    Notice,
    RunStatus,
    Start,
    Status,
    TrainStep,
    scalars,
)

if TYPE_CHECKING:
    from tuneboard.config import TrainConfig
    from tuneboard.runs.folder import RunDir

Emit = Callable[[Event], None]
EXPERIMENT = "tuneboard"
MLFLOW_STATUS = {RunStatus.COMPLETED: "FINISHED", RunStatus.STOPPED: "KILLED", RunStatus.FAILED: "FAILED",
                 RunStatus.INTERRUPTED: "KILLED"}


def tracked(emit: Emit, config: TrainConfig, run: RunDir) -> Emit:
    """``emit`` that also feeds the run's trackers; their failures come back through ``emit`` as notices."""
    trackers = [TensorBoardTracker(run)]
    if mlflow_enabled(config):
        trackers.append(MlflowTracker(config, run))

    def notify(message: str) -> None:
        emit(Notice(level="warning", message=message))

    def wrapped(event: Event) -> None:
        emit(event)
        for tracker in trackers:
            tracker.feed(event, notify)

    return wrapped


def mlflow_enabled(config: TrainConfig) -> bool:
    """On when the run asks for it, or when the environment names a tracking server."""
    return bool(getattr(config, "mlflow", False) or os.environ.get("MLFLOW_TRACKING_URI"))


def mlflow_uri() -> str:
    """``MLFLOW_TRACKING_URI``, else the local SQLite store beside the runs folder."""
    from tuneboard.paths import workspace

    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{workspace().mlflow_db.resolve()}"


class _Tracker:
    """One backend: ``handle`` writes an event; the first exception turns the backend off, with a notice."""

    name = "tracker"

    def __init__(self) -> None:
        self.off = False

    def feed(self, event: Event, notify: Callable[[str], None]) -> None:
        if self.off:
            return
        try:
            self.handle(event)
        except Exception as e:  # noqa: BLE001 -- tracking is a copy; it must never cost the user the run
            self.off = True
            self.close()
            notify(f"{self.name} logging stopped ({type(e).__name__}: {first_line(e)}); "
                   "the run itself goes on and its folder has everything.")

    def handle(self, event: Event) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend holds (called once, when the run ends or the backend fails)."""


class TensorBoardTracker(_Tracker):
    """Scalars of a run, written with ``torch.utils.tensorboard.SummaryWriter`` into the run folder."""

    name = "TensorBoard"

    def __init__(self, run: RunDir) -> None:
        super().__init__()
        self.run, self.writer = run, None

    def handle(self, event: Event) -> None:
        if isinstance(event, Status):
            if event.status in FINAL:
                self.close()
            return
        if not isinstance(event, (Start, TrainStep, Evaluation, Baseline)):
            return
        writer = self.writer or self._open()
        if isinstance(event, Start):
            writer.add_text("run", f"{event.model} on {event.device}: {event.task}, {event.n_train} train / "
                                   f"{event.n_val} validation rows, {event.epochs} epochs", 0)
        elif isinstance(event, TrainStep):
            writer.add_scalar("train/loss", event.loss, event.step)
            if event.learning_rate is not None:
                writer.add_scalar("train/learning_rate", event.learning_rate, event.step)
            writer.add_scalar("train/samples_per_second", event.samples_per_second, event.step)
        elif isinstance(event, Evaluation):
            for key, value in _eval_numbers(event).items():
                writer.add_scalar(f"eval/{key}", value, event.step)
        else:
            for key, value in event.metrics.items():
                writer.add_scalar(f"baseline/{key}", value, 0)

    def _open(self) -> Any:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(self.run.path), flush_secs=10)
        for events in self.run.path.glob("events.out.tfevents.*"):  # made with the umask's modes
            make_private(events)
        return self.writer

    def close(self) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.close()


class MlflowTracker(_Tracker):
    """Params, per-step metrics and the kept model of a run, through ``MlflowClient`` (no global active run,
    so runs in several threads never mix)."""

    name = "MLflow"

    def __init__(self, config: TrainConfig, run: RunDir) -> None:
        super().__init__()
        self.config, self.run = config, run
        self.client: Any = None
        self.run_id: str | None = None

    def handle(self, event: Event) -> None:
        if self.client is None:
            self._start()
        if isinstance(event, TrainStep):
            numbers = {"train_loss": event.loss}
            if event.learning_rate is not None:
                numbers["learning_rate"] = event.learning_rate
            self._log(numbers, event.step)
        elif isinstance(event, Evaluation):
            self._log({f"eval_{k}": v for k, v in _eval_numbers(event).items()}, event.step)
        elif isinstance(event, Baseline):
            self._log({f"baseline_{k}": v for k, v in event.metrics.items()}, 0)
        elif isinstance(event, Status) and event.status in FINAL:
            if event.status in HAS_MODEL and self.run.model_dir.is_dir():
                kept = scalars(self.run.metrics() or {})  # the kept model's scores, as metrics.json has them
                self._log(kept, int(kept.get("best_step") or 0))
                self.client.log_artifacts(self.run_id, str(self.run.model_dir), "model")
            self.client.set_terminated(self.run_id, MLFLOW_STATUS[event.status])
            self.run_id = None

    def _start(self) -> None:
        from mlflow.entities import Param
        from mlflow.tracking import MlflowClient

        uri = mlflow_uri()
        self.client = MlflowClient(tracking_uri=uri)
        found = self.client.get_experiment_by_name(EXPERIMENT)
        if found is not None:
            experiment = found.experiment_id
        else:  # a local store keeps its artifacts beside it, not in whatever folder the server was started from
            where = None if os.environ.get("MLFLOW_TRACKING_URI") else (Path(uri[len("sqlite:///"):]).parent
                                                                       / "mlartifacts").as_uri()
            experiment = self.client.create_experiment(EXPERIMENT, artifact_location=where)
        search = self.config.search
        tags = {"tuneboard.run_id": self.run.run_id, "tuneboard.run_dir": str(self.run.path.resolve()),
                **({"tuneboard.study": search.study, "tuneboard.trial": str(search.trial)} if search else {})}
        created = self.client.create_run(experiment, run_name=self.run.run_id, tags=tags)
        self.run_id = created.info.run_id
        params = [Param(k, _param(v)) for k, v in self.config.to_dict().items() if v not in (None, (), [], {})]
        self.client.log_batch(self.run_id, params=params)

    def _log(self, numbers: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(k, float(v), now, int(step)) for k, v in numbers.items()])

    def close(self) -> None:
        if self.client is not None and self.run_id is not None:
            try:
                self.client.set_terminated(self.run_id, "FAILED")
            except Exception:  # noqa: BLE001 -- already failing; the notice says so
                pass
            self.run_id = None


def _eval_numbers(event: Evaluation) -> dict[str, float]:
    numbers = dict(event.metrics)
    if event.eval_loss is not None:
        numbers["loss"] = event.eval_loss
    return numbers


def _param(value: Any) -> str:
    """MLflow params are strings of at most 6000 characters."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:6000]
