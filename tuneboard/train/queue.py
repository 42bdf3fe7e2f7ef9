"""Background training: a process-wide registry of live runs, one training at a time.

The Streamlit server keeps one ``RunRegistry`` (via ``st.cache_resource``); pages read ``LiveRun``
snapshots from it and never touch the worker thread. The worker never calls any UI code: progress
reaches the page only through the ``LiveRun`` it writes to (and through ``history.jsonl``).

The queue itself is durable (``store.RunStore``, SQLite): a restart loses no queued run, and
``recover()`` marks the run that was training when the server died "interrupted" (its owner may
``resume`` it). While a run trains, a ``liveness.Heartbeat`` says so every few seconds; a Stop asked in
another server process reaches the worker through the same table.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tuneboard.config import TrainConfig
from tuneboard.data.prepare import PreparedData
from tuneboard.errors import RunError, TuneboardError, unexpected_reason
from tuneboard.i18n import DEFAULT, english, retell, said, t
from tuneboard.model.hf import import_torch
from tuneboard.paths import RunFiles
from tuneboard.protocol import ACTIVE, FINAL, RunStatus, Status, parse_event, update_progress
from tuneboard.runs import quotas
from tuneboard.runs.folder import RunDir, create_run, list_runs, open_run, run_by_id
from tuneboard.runs.liveness import Heartbeat, Worker, alive, stale_s
from tuneboard.runs.store import RUNNING_NOW, RunStore, row_working
from tuneboard.team.access import LOCAL, User, check, run_owner
from tuneboard.train.checkpoint import check_resumable, read_config, reopen

# The reasons the queue gives a run's status: catalog keys, kept in status.json to be read in each reader's language
CANCELLED = "engine.reason.cancelled"
INTERRUPTED = "engine.reason.server_stopped"
NO_FINAL_STATUS = "engine.reason.no_final_status"


@dataclass
class LiveRun:
    """What a page needs to draw a run while it is queued or running. Thread-safe.

    Its status is one field, moved by the status events it records (the same ones ``history.jsonl``
    gets) and by the queue for what happens before the run has a history: taken off the queue,
    cancelled. ``stopping`` is not stored: it is a running run whose stop was asked for."""

    run: RunDir
    config: TrainConfig
    events: list[dict[str, Any]] = field(default_factory=list)
    latest: dict[str, Any] = field(default_factory=dict)
    stop_event: threading.Event = field(default_factory=threading.Event)
    submitted_at: float = field(default_factory=time.time)
    resume: bool = False  # go on from the run's checkpoint (``training.execute(resume=True)``)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._status = Status(status=RunStatus.QUEUED)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def status(self) -> RunStatus:
        status = self._status.status
        return RunStatus.STOPPING if status == RunStatus.RUNNING and self.stop_event.is_set() else status

    @property
    def reason(self) -> str | None:
        return self._status.reason

    def record(self, event: dict[str, Any]) -> None:
        """Keep an event (as logged) and fold it into the latest progress and the status."""
        parsed = parse_event(event)
        with self._lock:
            self.events.append(event)
            if isinstance(parsed, Status):
                self._status = parsed
            elif parsed is not None:
                update_progress(self.latest, parsed)

    def replay(self, events: list[dict[str, Any]]) -> None:
        """Fold in the events a run logged before this object existed (a resumed run's first part),
        keeping its current status."""
        status = self._status
        for event in events:
            self.record(event)
        with self._lock:
            self._status = status

    def _move(self, status: RunStatus, reason: str | None = None) -> None:
        with self._lock:
            self._status = Status(status=status, reason=reason)

    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """A consistent copy: status, latest progress, and the events from index ``since`` on."""
        with self._lock:
            return {"run_id": self.run_id, "status": self.status, "reason": self.reason,
                    "latest": dict(self.latest), "events": self.events[since:], "n_events": len(self.events)}


def check_browser_model(config: TrainConfig, user: User) -> None:
    """The one model restriction of a config from a browser: the models folder and hub ids
    (``resolve_model(allow_any_path=False)``), or -- a distillation's student -- the model folder of its
    teacher run, when ``user`` may see that run's texts (what the Distill page asks)."""
    from tuneboard.model.catalog import resolve_model

    teacher_id = config.distill.teacher_run if config.distill else None
    if teacher_id:
        teacher = run_by_id(str(teacher_id))
        if Path(str(config.model)).resolve() == teacher.model_dir.resolve():
            check(user, "view_texts", teacher.path)
            return
    resolve_model(str(config.model), allow_any_path=False)


class RunRegistry:
    """The queue of runs; one worker thread trains them one after another (one run per device).

    ``executor`` replaces ``training.execute`` (tests); ``store`` the durable queue (default: the
    database beside the runs root). ``browser=True`` (the app's registry): every config comes from a
    browser, so its model must pass ``catalog.resolve_model(allow_any_path=False)`` -- whichever page
    queued it (Start, a search trial, a distillation) -- or be the model of a run the person may see."""

    poll_s = 0.5  # how often a worker waiting for another process's run looks again

    def __init__(self, executor: Callable[..., Any] | None = None, store: RunStore | None = None,
                 browser: bool = False) -> None:
        self.browser = browser
        self._lock = threading.Lock()
        self._runs: dict[str, LiveRun] = {}
        self._data: dict[str, PreparedData | None] = {}
        self._worker: threading.Thread | None = None
        self._executor = executor
        self.store = store or RunStore()
        # this process (so another one can see at once that it ended) and this registry (tests hold several)
        self.worker_id = Worker.current().to_text(registry=secrets.token_hex(3))

    def submit(self, config: TrainConfig, data: PreparedData | None = None, user: User = LOCAL) -> LiveRun:
        """Check ``config`` and the user's limits (raises ``TuneboardError`` before anything is written),
        queue it as ``user``'s run, start it when the device is free."""
        self.admit(config, user)
        if data is None:
            from tuneboard.data.checks import check_config

            data = check_config(config)
        live = LiveRun(run=create_run(config, owner=user.id), config=config)
        with self._lock:
            self._runs[live.run_id] = live
            self._data[live.run_id] = data
            self.store.add(live.run_id, live.run.path, user.id)
            self._ensure_worker()
        return live

    def admit(self, config: TrainConfig, user: User) -> None:
        """Refuse (one line) what ``submit`` would: ``user`` at their queue or disk limit, or, on a browser's
        registry, a model outside what a browser may train from."""
        quotas.check_queue(self.store, user)
        quotas.check_disk(user)
        if self.browser:
            check_browser_model(config, user)

    def recover(self) -> list[str]:
        """On server start: runs whose worker stopped beating become interrupted (``status.json`` too),
        and the queue left by the last server starts again, in order. Returns the interrupted run ids."""
        interrupted = self._interrupt_dead() + self._interrupt_unqueued()
        with self._lock:
            if self.store.queued():
                self._ensure_worker()
        return interrupted

    def get(self, run_id: str | None) -> LiveRun | None:
        """This process's live view of a run; None when it is not here, or when another server process took it
        off the queue (then its folder tells its story)."""
        with self._lock:
            live = self._runs.get(run_id or "")
        if live is not None and live.status == RunStatus.QUEUED:
            row = self.store.get(live.run_id)
            if row is not None and row.status != RunStatus.QUEUED and row.worker != self.worker_id:
                with self._lock:
                    self._runs.pop(live.run_id, None)
                    self._data.pop(live.run_id, None)
                return None
        return live

    def active(self) -> LiveRun | None:
        """The run this process is training now, if any."""
        with self._lock:
            return next((r for r in self._runs.values() if r.status in ACTIVE - {RunStatus.QUEUED}), None)

    def queued(self) -> list[LiveRun]:
        """The runs waiting, in the order they will start."""
        out = []
        for q in self.store.queued():
            live = self._live(q.run_id, q.path)
            if live is not None:
                out.append(live)
        return out

    def stop(self, run_id: str, user: User = LOCAL) -> bool:
        """Ask a run to stop: a running one stops at its next step (keeping its best model); a queued one is
        taken out of the queue. False for an unknown run; ``RunError`` (one line) for one nobody trains."""
        path = self._path(run_id)
        if path is None:
            return False
        check(user, "stop", path)
        if self.store.cancel(run_id, english(CANCELLED)):
            RunDir(path).set_status(RunStatus.STOPPED, said(CANCELLED))  # no history: it never started
            with self._lock:
                live = self._runs.get(run_id)
            if live is not None:
                live._move(RunStatus.STOPPED, said(CANCELLED))
            return True
        row = self.store.get(run_id)
        if row is not None and row.status in RUNNING_NOW and self.store.request_stop(run_id):
            live = self.get(run_id)
            if row.worker == self.worker_id and live is not None:
                live.stop_event.set()  # a running run now reads as stopping
                return True
            if row_working(row):
                return True  # trained by another server process: its worker reads this at its next beat
        return self._cannot_stop(run_id, path)

    def resume(self, run_id: str, user: User = LOCAL) -> LiveRun:
        """Queue an interrupted run again; the worker continues it from its checkpoint (``resume=True``)."""
        path = self._path(run_id)
        if path is None:
            raise RunError(t("engine.err.run.not_found", run_id=run_id))
        check(user, "resume", path)
        run = RunDir(path)
        check_resumable(run)  # interrupted, or failed with its checkpoint kept; a one-line RunError otherwise
        config = read_config(run)
        quotas.check_queue(self.store, user)
        self._interrupt_dead()  # a run whose server died a moment ago is still "running" in the queue
        row = self.store.get(run_id)
        if row is None:  # made before the queue was on disk, or by the CLI
            self.store.adopt(run_id, path, run_owner(path), RunStatus.INTERRUPTED, english(INTERRUPTED))
        elif row.status != RunStatus.INTERRUPTED:
            self.store.allow_resume(run_id)
        live = LiveRun(run=run, config=config)
        live.replay(run.history())
        with self._lock:
            if not self.store.requeue(run_id, resume=True):
                raise RunError(t("engine.err.run.resumed_elsewhere", run_id=run_id))
            reopen(run)  # status queued; a history line torn by the kill gets its line end
            self._runs[run_id], self._data[run_id] = live, None
            self._ensure_worker()
        return live

    def wait(self, run_id: str, timeout: float = 60.0) -> str:
        """Block until a run reaches a final state (for tests and the CLI)."""
        deadline = time.time() + timeout
        while True:
            status = self._status(run_id)
            if status in FINAL or status == RunStatus.UNKNOWN or time.time() > deadline:
                return status
            time.sleep(0.05)

    def _status(self, run_id: str) -> RunStatus:
        live = self.get(run_id)
        if live is not None:
            return live.status
        path = self._path(run_id)
        return RunDir(path).status()["status"] if path is not None else RunStatus.UNKNOWN

    # -- the worker --------------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        """Start the worker thread unless it runs (call with the lock held)."""
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="tuneboard-trainer", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            self._interrupt_dead()  # a worker elsewhere died mid-run
            claimed = self.store.claim_next(self.worker_id, stale_s())
            if claimed is None:
                with self._lock:
                    if not self.store.queued():
                        self._worker = None
                        return
                time.sleep(self.poll_s)  # the device is busy with another process's run
                continue
            import_torch()  # the first import of torch waits until no page script runs (hf._Gate)
            self._train_claimed(claimed.run_id, claimed.path, claimed.resume)

    def _train_claimed(self, run_id: str, path: str, resume: bool) -> None:
        """Train a run this worker took off the queue; record how it ended, once."""
        live = self._live(run_id, path)
        if live is None:
            self.store.finish(run_id, RunStatus.FAILED, "Its run folder is gone or unreadable.")
            return
        with self._lock:
            data = self._data.pop(run_id, None)
            live._move(RunStatus.RUNNING)  # until its own status event says the same

        def on_beat() -> None:
            if self.store.beat(run_id, self.worker_id):
                live.stop_event.set()

        heartbeat = Heartbeat(live.run.path, on_beat=on_beat).start()
        try:
            self._run_one(live, data, resume)
        finally:
            heartbeat.stop()
            unsaid = live.status not in FINAL  # an executor that returned without a final status
            if unsaid:
                live._move(RunStatus.FAILED, said(NO_FINAL_STATUS))
            # Once: a worker declared dead meanwhile (its run interrupted) must not overwrite that.
            if self.store.finish(run_id, live.status, retell(live.reason, DEFAULT)) and unsaid:
                live.run.set_status(RunStatus.FAILED, said(NO_FINAL_STATUS))

    def _run_one(self, live: LiveRun, data: PreparedData | None, resume: bool) -> None:
        execute = self._executor
        if execute is None:  # one accelerate process per GPU on a multi-GPU machine, else this process
            from tuneboard.train.launch import executor_for

            execute = executor_for(live.config)
        kwargs: dict[str, Any] = {"on_event": live.record, "stop": live.stop_event, "run": live.run, "data": data}
        try:
            if resume:
                kwargs["resume"] = True
            execute(live.config, **kwargs)
        except BaseException as e:  # never let the worker die silently; the run folder has the reason too
            if live.status not in FINAL:  # execute records its failure itself; this is for one that could not
                reason = e.reason() if isinstance(e, TuneboardError) else unexpected_reason(e)
                live.run.set_status(RunStatus.FAILED, reason)
                live._move(RunStatus.FAILED, reason)

    # -- helpers -----------------------------------------------------------------------------------
    def _live(self, run_id: str, path: str | Path) -> LiveRun | None:
        """This process's ``LiveRun`` of a run, made from its folder when another process queued it."""
        with self._lock:
            live = self._runs.get(run_id)
            if live is None:
                try:
                    run = RunDir(Path(path))
                    live = LiveRun(run=run, config=run.config())
                except Exception:  # noqa: BLE001 -- a deleted or torn folder: the caller fails the run
                    return None
                self._runs[run_id] = live
            return live

    def _path(self, run_id: str) -> Path | None:
        live, row = self.get(run_id), self.store.get(run_id)
        if live is not None:
            return live.run.path
        if row is not None:
            return Path(row.path)
        try:
            return open_run(run_id).path
        except TuneboardError:
            return None

    def _interrupt_dead(self) -> list[str]:
        """Runs the queue says are running but nobody trains (``liveness.working``): interrupted, on disk too."""
        interrupted = [q.run_id for q in self.store.interrupt_stale(stale_s(), english(INTERRUPTED))]
        for run_id in interrupted:
            self._mark_interrupted(run_id)
        return interrupted

    def _mark_interrupted(self, run_id: str) -> None:
        path = self._path(run_id)
        if path is not None and (path / RunFiles.STATUS).exists():
            RunDir(path).set_status(RunStatus.INTERRUPTED, said(INTERRUPTED))
        live = self.get(run_id)
        if live is not None:
            live._move(RunStatus.INTERRUPTED, said(INTERRUPTED))

    def _interrupt_unqueued(self) -> list[str]:
        """Folders that say queued or running but that the queue does not know (queued by a server from
        before the queue was on disk, or trained by a process that died): interrupted, on disk too."""
        found, now = [], time.time()
        for run in list_runs():
            st = run.status()
            stuck = st["status"] == RunStatus.INTERRUPTED and run.raw_status() in ACTIVE
            # a queued folder younger than that may be a CLI run about to start (it beats from then on)
            lost = st["status"] == RunStatus.QUEUED and now - (st.get("updated_at") or 0) > stale_s()
            if (stuck or lost) and self.store.get(run.run_id) is None:
                run.set_status(RunStatus.INTERRUPTED, said(INTERRUPTED))
                found.append(run.run_id)
        return found

    def _cannot_stop(self, run_id: str, path: Path) -> bool:
        run = RunDir(path)
        status = run.status().get("status")
        if status == RunStatus.INTERRUPTED and run.raw_status() in ACTIVE:
            run.set_status(RunStatus.INTERRUPTED, said(INTERRUPTED))
            self.store.finish(run_id, RunStatus.INTERRUPTED, english(INTERRUPTED))
        if status in ACTIVE and alive(path):
            raise RunError(t("engine.err.run.outside", run_id=run_id))
        if status in ACTIVE or status == RunStatus.INTERRUPTED:
            raise RunError(t("engine.err.run.not_training", run_id=run_id, seconds=stale_s()))
        raise RunError(t("engine.err.run.already_ended", run_id=run_id, status=status))
