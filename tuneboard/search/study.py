"""Hyperparameter search with Optuna: a study of normal runs, bad ones pruned from their first evaluations.

Each trial is an ordinary run (``training.execute`` with a ``TrainConfig``) whose config names its study
(``search``), so every page and command works on it. Optuna keeps the study in its RDB storage (one SQLite
file, ``studies.storage_url``), so a search survives a restart and can be resumed; ``study.json``
(``studies.py``) is what people and pages read.

- Sampler: TPE, seeded with the run's seed. The first trial is the base settings themselves (the preset the
  user picked), so the best run of a study is never worse than what they would have trained anyway.
- Pruner: the median rule. After ``PRUNE_AFTER`` finished trials, a trial whose score at its n-th evaluation
  is below the median of the finished trials' n-th evaluations is stopped at once (its best model so far
  is kept, like a user's stop, and its run is marked pruned). Evaluations are counted, not epochs, so the
  rule works whether a run evaluates per epoch or every N steps.
- A trial runs either here (the CLI) or through the app's run queue (``RegistryRunner``), one after another.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from tuneboard.config import SearchSpec, TrainConfig
from tuneboard.data.checks import check_config
from tuneboard.errors import ConfigError, TuneboardError
from tuneboard.i18n import t
from tuneboard.predict.metrics import main_metric
from tuneboard.protocol import FINAL, EventKind, RunStatus, TrialStatus, kind_of
from tuneboard.runs.folder import RunDir, create_run
from tuneboard.runs.liveness import Heartbeat, beat
from tuneboard.search.records import StudyRecord, TrialRecord, load_study, storage_url
from tuneboard.settings import SETTINGS
from tuneboard.team.access import LOCAL, User, require

if TYPE_CHECKING:
    from tuneboard.data.prepare import PreparedData
    from tuneboard.train.queue import RunRegistry

EventFn = Callable[[dict[str, Any]], None]
Watch = Callable[[dict[str, Any]], bool]  # sees each event of a trial's run; True: stop (prune) it
# runner(config, data, watch, stop) -> (the trial's run folder, its final status)
Runner = Callable[[TrainConfig, "PreparedData", Watch, threading.Event], tuple[RunDir, RunStatus]]
PRUNE_AFTER = 2  # finished trials before any is pruned: the median of fewer says little
MAX_TRIALS = 200  # a time budget alone still ends
MAX_FAILURES = 3  # this many failed trials in a row end the search (its settings cannot work here)
PRUNED_REASON = "engine.reason.pruned"  # the catalog key of a pruned trial's status reason


@dataclass(frozen=True)
class Param:
    """One searched setting: ``log`` (a log-uniform float), ``int`` (a whole range) or ``choice``."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: Any) -> Any:
        if self.kind == "log":
            return trial.suggest_float(self.name, self.low, self.high, log=True)
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high))
        return trial.suggest_categorical(self.name, list(self.choices))

    def holds(self, value: Any) -> bool:
        if self.kind == "choice":
            return value in self.choices
        return isinstance(value, (int, float)) and self.low <= value <= self.high


def search_space(base: TrainConfig) -> tuple[Param, ...]:
    """The settings whose row has a search range (what matters most when fine-tuning an encoder on a small table,
    in ranges that train on a CPU in minutes), in their draw order; a range ``when`` a setting is on only when the
    base run has it on (the LoRA rank of a LoRA run)."""
    searched = [s for s in SETTINGS.values() if s.search and (s.search.when is None or getattr(base, s.search.when))]
    rows = sorted(searched, key=lambda s: s.search.draw)
    return tuple(Param(s.name, s.search.kind, s.search.low, s.search.high, s.search.choices) for s in rows)


@dataclass(frozen=True)
class Budget:
    """How long a search goes: a number of trials, minutes, or both (whichever ends first)."""

    trials: int | None = None
    minutes: float | None = None

    def __post_init__(self) -> None:
        if self.trials is None and self.minutes is None:
            raise ConfigError(t("engine.err.search.no_budget"))
        if self.trials is not None and not 1 <= self.trials <= MAX_TRIALS:
            raise ConfigError(t("engine.err.search.trials", trials=self.trials, high=MAX_TRIALS))
        if self.minutes is not None and not 0 < self.minutes <= 7 * 24 * 60:
            raise ConfigError(t("engine.err.search.minutes", minutes=self.minutes))


def run_search(base: TrainConfig, budget: Budget, on_event: EventFn | None = None,
               stop: threading.Event | None = None, on_trial: Callable[[StudyRecord], None] | None = None,
               space: tuple[Param, ...] | None = None, enqueue: list[dict[str, Any]] | None = None) -> StudyRecord:
    """Create a study and run its trials in this thread (the CLI); returns the finished record."""
    data = check_config(base)
    record = create_study(base, budget, data, space, enqueue)
    return Search(record, data).run(budget, here(on_event), stop or threading.Event(), on_trial)


def create_study(base: TrainConfig, budget: Budget, data: PreparedData, space: tuple[Param, ...] | None = None,
                 enqueue: list[dict[str, Any]] | None = None, owner: User = LOCAL) -> StudyRecord:
    """Make the study (Optuna storage + ``study.json``), owned by ``owner``; its first trials are ``enqueue``
    or the base settings."""
    optuna = quiet_optuna()

    space = space or search_space(base)
    metric, higher = main_metric(data.task)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    record = StudyRecord(study_id=f"{stamp}-{Path(str(base.data)).stem[:24]}-{secrets.token_hex(2)}", metric=metric,
                         direction="maximize" if higher else "minimize", base=base.to_dict(),
                         space=[asdict(p) for p in space], budget=asdict(budget), owner=owner.id)
    study = optuna.create_study(study_name=record.study_id, storage=storage_url(), direction=record.direction)
    first = enqueue if enqueue is not None else [{p.name: getattr(base, p.name) for p in space}]
    for params in first:
        study.enqueue_trial({k: v for k, v in params.items() if any(p.name == k and p.holds(v) for p in space)})
    record.save()
    beat(record.path)  # alive from its creation: the thread that runs it beats once it has loaded the study
    return record


class Search:
    """The trial loop of one study: ask Optuna, run the trial, tell Optuna, update ``study.json``."""

    def __init__(self, record: StudyRecord, data: PreparedData | None = None) -> None:
        optuna = quiet_optuna()
        self.record = record
        self.base = TrainConfig.from_dict(record.base, strict=False)
        self.data = data or check_config(self.base)
        self.space = tuple(Param(**{**p, "choices": tuple(p["choices"])}) for p in record.space)
        self.study = optuna.load_study(
            study_name=record.study_id, storage=storage_url(),
            sampler=optuna.samplers.TPESampler(seed=self.base.seed),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=PRUNE_AFTER, n_warmup_steps=0))

    def run(self, budget: Budget, runner: Runner, stop: threading.Event,
            on_trial: Callable[[StudyRecord], None] | None = None) -> StudyRecord:
        """Trials one after another until the budget is spent, the user stops, or trials keep failing."""
        record, deadline = self.record, time.time() + budget.minutes * 60 if budget.minutes else None
        heartbeat = Heartbeat(record.path).start()  # "still searching", for studies.load_study
        record.status, record.reason, record.pid = RunStatus.RUNNING, None, os.getpid()
        record.save()
        done, failures = 0, 0
        try:
            while not stop.is_set() and done < (budget.trials or MAX_TRIALS) and failures < MAX_FAILURES:
                if deadline is not None and time.time() >= deadline:
                    break
                trial = self._trial(runner, stop)
                done += 1
                failures = failures + 1 if trial.status == TrialStatus.FAILED else 0
                if on_trial:
                    on_trial(record)
        except BaseException as e:
            self._finish(RunStatus.FAILED, t("engine.reason.search_error", kind=type(e).__name__, error=str(e)))
            raise
        finally:
            heartbeat.stop()
        if failures >= MAX_FAILURES:
            return self._finish(RunStatus.FAILED, f"{failures} trials in a row failed; see their runs for why.")
        return self._finish(RunStatus.STOPPED if stop.is_set() else RunStatus.COMPLETED)

    def _trial(self, runner: Runner, stop: threading.Event) -> TrialRecord:
        """Ask for settings, run them as a normal run (pruning it when the pruner says so), tell the outcome."""
        import optuna

        trial = self.study.ask()
        params = {p.name: p.suggest(trial) for p in self.space}
        config = self.base.replace(**params, run_name=f"search-{self.record.study_id[-4:]}-trial{trial.number}",
                                   search=SearchSpec(study=self.record.study_id, trial=trial.number))
        entry = TrialRecord(number=trial.number, run_id=None, status=TrialStatus.RUNNING, params=params)
        self.record.trials.append(entry)
        watch = PruneWatch(trial, self.record.metric)
        t0 = time.time()
        run, status = runner(config, self.data, watch, stop)
        entry.run_id, entry.seconds, entry.evaluations = run.run_id, time.time() - t0, watch.n
        trial.set_user_attr("run_id", run.run_id)
        value = (run.metrics() or {}).get(self.record.metric)
        if watch.pruned:
            entry.status, entry.value = TrialStatus.PRUNED, watch.last
            if status == RunStatus.STOPPED:
                run.set_status(RunStatus.STOPPED, t(PRUNED_REASON))
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif status == RunStatus.COMPLETED and value is not None:
            entry.status, entry.value = TrialStatus.COMPLETE, float(value)
            self.study.tell(trial, float(value))
        else:
            entry.status = TrialStatus.STOPPED if status == RunStatus.STOPPED else TrialStatus.FAILED
            entry.value = None if value is None else float(value)
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        self._mark_best()
        self.record.save()
        return entry

    def _mark_best(self) -> None:
        complete = [t for t in self.record.trials if t.status == TrialStatus.COMPLETE and t.value is not None]
        if complete:
            sign = 1 if self.record.direction == "maximize" else -1
            best = max(complete, key=lambda t: (sign * t.value, -t.number))  # ties: the earlier trial
            self.record.best_run_id, self.record.best_value, self.record.best_params = (
                best.run_id, best.value, best.params)

    def _finish(self, status: RunStatus, reason: str | None = None) -> StudyRecord:
        self.record.status, self.record.reason = status, reason
        self.record.save()
        return self.record


class PruneWatch:
    """Reports each evaluation's main metric to the trial; says "stop" once the pruner says so."""

    def __init__(self, trial: Any, metric: str) -> None:
        self.trial, self.metric = trial, metric
        self.n, self.last, self.pruned = 0, None, False

    def __call__(self, event: dict[str, Any]) -> bool:
        if self.pruned or kind_of(event) != EventKind.EVAL or event.get(self.metric) is None:
            return self.pruned
        self.n += 1
        self.last = float(event[self.metric])
        self.trial.report(self.last, self.n)
        self.pruned = bool(self.trial.should_prune())
        return self.pruned


def quiet_optuna() -> Any:
    """The ``optuna`` module, its per-trial info lines off (the CLI prints its own)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def here(on_event: EventFn | None = None) -> Runner:
    """Run each trial in this thread (``training.execute``), passing its events to ``on_event``."""
    from tuneboard.train.pipeline import execute

    def runner(config: TrainConfig, data: PreparedData, watch: Watch,
               stop: threading.Event) -> tuple[RunDir, RunStatus]:
        run, trial_stop = create_run(config), threading.Event()

        def on(line: dict[str, Any]) -> None:
            if on_event:
                on_event(line)
            if watch(line) or stop.is_set():
                trial_stop.set()

        try:
            return run, execute(config, on_event=on, stop=trial_stop, run=run, data=data).status
        except Exception:  # noqa: BLE001 -- the run's status.json has the reason; the search goes on
            return run, RunStatus.FAILED

    return runner


class RegistryRunner:
    """Run each trial through the app's run queue (so it waits its turn behind other runs, and shows live
    like any run), watching its events from the queue's ``LiveRun``. Each trial is ``user``'s run: owned by
    them and counted against their queue limit, as a Start press is."""

    def __init__(self, registry: RunRegistry, user: User = LOCAL, poll_s: float = 0.25) -> None:
        self.registry, self.user, self.poll_s = registry, user, poll_s

    def __call__(self, config: TrainConfig, data: PreparedData, watch: Watch,
                 stop: threading.Event) -> tuple[RunDir, RunStatus]:
        live = self.registry.submit(config, data, user=self.user)
        seen, asked = 0, False
        while True:
            snap = live.snapshot(since=seen)
            seen = snap["n_events"]
            pruned = any([watch(e) for e in snap["events"]])  # every event goes to the trial, in order
            if (pruned or stop.is_set()) and not asked and snap["status"] not in FINAL:
                asked = True  # once: the queue answers a second request for a run that ended with an error
                try:
                    self.registry.stop(live.run_id, user=self.user)
                except TuneboardError:  # it ended meanwhile: nothing to stop
                    pass
            if snap["status"] in FINAL:
                return live.run, snap["status"]
            time.sleep(self.poll_s)


class SearchJob:
    """A search running in a background thread of the server; its trials go through ``registry`` as
    ``user``'s runs."""

    def __init__(self, record: StudyRecord, budget: Budget, registry: RunRegistry, data: PreparedData | None = None,
                 user: User = LOCAL) -> None:
        self.record, self.budget, self.stop_event = record, budget, threading.Event()
        self.error: str | None = None
        self._thread = threading.Thread(target=self._work, args=(RegistryRunner(registry, user), data),
                                        name=f"tuneboard-search-{record.study_id[-4:]}", daemon=True)
        self._thread.start()

    @property
    def study_id(self) -> str:
        return self.record.study_id

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, user: User) -> None:
        """Stop the trial that is running (its best model so far is kept) and start no other: the study's
        owner's or an admin's call (``PermissionDenied`` otherwise)."""
        require(user, "stop", self.record.owner)
        self.stop_event.set()

    def wait(self, timeout: float | None = None) -> StudyRecord:
        self._thread.join(timeout)
        return self.record

    def _work(self, runner: Runner, data: PreparedData | None) -> None:
        try:  # the Optuna storage is opened in this thread, the one that uses it
            Search(self.record, data).run(self.budget, runner, self.stop_event)
        except Exception as e:  # noqa: BLE001 -- study.json records it; a worker thread must not die silently
            self.error = str(e)


def start_search(base: TrainConfig, budget: Budget, registry: RunRegistry, user: User = LOCAL,
                 space: tuple[Param, ...] | None = None, enqueue: list[dict[str, Any]] | None = None) -> SearchJob:
    """Check ``base`` and ``user``'s limits as the queue will for each trial (raises before anything is
    written), create ``user``'s study and run it in the background, each trial queued as ``user``'s run."""
    registry.admit(base, user)
    data = check_config(base)
    return SearchJob(create_study(base, budget, data, space, enqueue, user), budget, registry, data, user)


def resume_search(study_id: str, budget: Budget, on_event: EventFn | None = None,
                  stop: threading.Event | None = None) -> StudyRecord:
    """Go on with a study after a restart: its trials left running are marked failed, then more are run."""
    import optuna

    record = load_study(study_id)
    search = Search(record)
    for trial in search.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        search.study.tell(trial.number, state=optuna.trial.TrialState.FAIL)
    for entry in record.trials:
        if entry.status == TrialStatus.RUNNING:
            entry.status = TrialStatus.FAILED
    return search.run(budget, here(on_event), stop or threading.Event())
