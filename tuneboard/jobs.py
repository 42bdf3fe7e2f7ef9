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
from .runs import RunDir, create_run


@dataclass
class LiveRun:
    """What a page needs to draw a run while it is queued or running. Thread-safe."""

    run: RunDir
    config: TrainConfig
    status: str = "queued"
    reason: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    latest: dict[str, Any] = field(default_factory=dict)
    stop_event: threading.Event = field(default_factory=threading.Event)
    submitted_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def run_id(self) -> str:
        return self.run.run_id

    def record(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append(event)
            kind = event.get("type")
            if kind in ("train", "start"):
                self.latest.update({k: v for k, v in event.items() if k != "type"})
            elif kind == "eval":
                self.latest["last_eval"] = event
            elif kind == "status":
                self.status, self.reason = event["status"], event.get("reason")

    def set_status(self, status: str, reason: str | None = None) -> None:
        with self._lock:
            self.status, self.reason = status, reason

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
            from .training import check_config

            data = check_config(config)
        live = LiveRun(run=create_run(config), config=config)
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
            return next((r for r in self._runs.values() if r.status in ("running", "stopping")), None)

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
                    live.run.set_status("stopped", "Cancelled before it started.")
                    live.set_status("stopped", "Cancelled before it started.")
                    return True
        live.stop_event.set()
        if live.status == "running":
            live.set_status("stopping")
        return True

    def wait(self, run_id: str, timeout: float = 60.0) -> str:
        """Block until a run reaches a final state (for tests and the CLI)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            live = self.get(run_id)
            if live is None or live.status in ("completed", "stopped", "failed"):
                return live.status if live else "unknown"
            time.sleep(0.05)
        return self.get(run_id).status  # type: ignore[union-attr]

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._worker = None
                    return
                live, data = self._queue.popleft()
                live.set_status("running")
            self._run_one(live, data)

    def _run_one(self, live: LiveRun, data: PreparedData | None) -> None:
        from .errors import TuneboardError

        execute = self._executor
        if execute is None:
            from .training import execute
        try:
            result = execute(live.config, on_event=live.record, stop=live.stop_event, run=live.run, data=data)
            live.set_status(result.status, live.reason)
        except TuneboardError as e:
            live.set_status("failed", str(e))
        except BaseException as e:  # never let the worker die silently; the run folder has the reason too
            live.set_status("failed", f"Unexpected error ({type(e).__name__}: {e}).")
