"""Background training: a process-wide registry of live runs, one training at a time.

The Streamlit server keeps one ``RunRegistry`` (via ``st.cache_resource``); pages read ``LiveRun``
snapshots from it and never touch the worker thread. The worker never calls any UI code: progress
reaches the page only through the ``LiveRun`` it writes to (and through ``history.jsonl``).
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from .config import TrainConfig
from .data import PreparedData
from .errors import TuneboardError, unexpected_reason
from .protocol import ACTIVE, FINAL, RunStatus, Status, parse_event, update_progress
from .runs import RunDir, create_run

CANCELLED = "Cancelled before it started."


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

    def _move(self, status: RunStatus, reason: str | None = None) -> None:
        with self._lock:
            self._status = Status(status=status, reason=reason)

    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """A consistent copy: status, latest progress, and the events from index ``since`` on."""
        with self._lock:
            return {"run_id": self.run_id, "status": self.status, "reason": self.reason,
                    "latest": dict(self.latest), "events": self.events[since:], "n_events": len(self.events)}


class RunRegistry:
    """Queue of runs; one worker thread trains them one after another (one run per device)."""

    def __init__(self, executor: Callable[..., Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, LiveRun] = {}
        self._queue: deque[tuple[LiveRun, PreparedData | None]] = deque()
        self._worker: threading.Thread | None = None
        self._executor = executor

    def submit(self, config: TrainConfig, data: PreparedData | None = None) -> LiveRun:
        """Check ``config`` (raises ``TuneboardError`` before anything is written), queue it, start it
        when the device is free."""
        if data is None:
            from .checks import check_config

            data = check_config(config)
        live = LiveRun(run=create_run(config), config=config)
        return self._enqueue(live, data)

    def resume(self, run_id: str, user: Any = None) -> LiveRun:
        """Queue an interrupted run to go on from its last checkpoint; its chart keeps its history.
        Raises ``RunError`` (not resumable) or ``PermissionDenied`` (``user`` may not resume it)."""
        from .access import check
        from .checkpoint import check_resumable, read_config, reopen
        from .runs import open_run

        run = open_run(run_id)
        if user is not None:
            check(user, "resume", run.path)
        config = read_config(run)
        with self._lock:  # checked and marked queued at once: two clicks resume it once
            check_resumable(run)
            reopen(run)
        live = LiveRun(run=run, config=config, resume=True)
        for event in run.history():
            live.record(event)
        live._move(RunStatus.QUEUED)
        return self._enqueue(live, None)

    def _enqueue(self, live: LiveRun, data: PreparedData | None) -> LiveRun:
        """Queue a run and start the worker if it is idle."""
        with self._lock:
            self._runs[live.run_id] = live
            self._queue.append((live, data))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="tuneboard-trainer", daemon=True)
                self._worker.start()
        return live

    def get(self, run_id: str | None) -> LiveRun | None:
        with self._lock:
            return self._runs.get(run_id or "")

    def active(self) -> LiveRun | None:
        """The run training now, if any."""
        with self._lock:
            return next((r for r in self._runs.values() if r.status in ACTIVE - {RunStatus.QUEUED}), None)

    def queued(self) -> list[LiveRun]:
        with self._lock:
            return [live for live, _ in self._queue]

    def stop(self, run_id: str) -> bool:
        """Ask a run to stop: a running one stops at its next step (keeping its best model);
        a queued one is taken out of the queue."""
        with self._lock:
            live = self._runs.get(run_id)
            if live is None:
                return False
            for item in list(self._queue):
                if item[0] is live:
                    self._queue.remove(item)
                    live.run.set_status(RunStatus.STOPPED, CANCELLED)  # no history: it never started
                    live._move(RunStatus.STOPPED, CANCELLED)
                    return True
        live.stop_event.set()  # a running run now reads as stopping
        return True

    def wait(self, run_id: str, timeout: float = 60.0) -> str:
        """Block until a run reaches a final state (for tests and the CLI)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            live = self.get(run_id)
            if live is None or live.status in FINAL:
                return live.status if live else RunStatus.UNKNOWN
            time.sleep(0.05)
        return self.get(run_id).status  # type: ignore[union-attr]

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                live, data = self._queue.popleft()
                live._move(RunStatus.RUNNING)  # until its own status event says the same
            self._run_one(live, data)

    def _run_one(self, live: LiveRun, data: PreparedData | None) -> None:
        execute = self._executor
        if execute is None:
            from .training import execute
        try:
            resume = {"resume": True} if live.resume else {}
            execute(live.config, on_event=live.record, stop=live.stop_event, run=live.run, data=data, **resume)
        except BaseException as e:  # never let the worker die silently; the run folder has the reason too
            if live.status not in FINAL:  # execute records its failure itself; this is for one that could not
                live._move(RunStatus.FAILED, str(e) if isinstance(e, TuneboardError) else unexpected_reason(e))
