"""Is a run still being trained? A heartbeat the worker writes, not the PID it had.

A PID says nothing after a restart: containers number their processes from 1 again, so the PID recorded
in ``status.json`` is often alive again, as somebody else (issue 13, finding 3). Instead, whoever trains
a run touches ``<run>/heartbeat`` every ``heartbeat_s()`` seconds from a small thread; a running run whose
heartbeat is older than ``stale_s()`` seconds has nobody training it any more and reads as interrupted.
Touching a file (its mtime) writes no JSON, so it never races the run's other files.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Callable

HEARTBEAT_FILE = "heartbeat"


def heartbeat_s() -> float:
    """Seconds between two beats (``TUNEBOARD_HEARTBEAT_S``, default 2)."""
    return float(os.environ.get("TUNEBOARD_HEARTBEAT_S", "2"))


def stale_s() -> float:
    """A heartbeat older than this (``TUNEBOARD_STALE_S``, default 30 s) means nobody trains the run.

    Fifteen missed beats: a step that holds the GIL for seconds on a busy machine must not read as death."""
    return float(os.environ.get("TUNEBOARD_STALE_S", "30"))


def beat(run_path: str | Path) -> None:
    """Say "still training" for the run at ``run_path`` (creates the file on the first beat)."""
    path = Path(run_path) / HEARTBEAT_FILE
    try:
        os.utime(path)
    except FileNotFoundError:
        path.touch()


def last_beat(run_path: str | Path) -> float | None:
    """When the run's worker last beat (epoch seconds), or None if it never did."""
    try:
        return (Path(run_path) / HEARTBEAT_FILE).stat().st_mtime
    except OSError:
        return None


def alive(run_path: str | Path, now: float | None = None) -> bool:
    """Whether someone beat for this run within ``stale_s()`` seconds."""
    last = last_beat(run_path)
    return last is not None and (now or time.time()) - last < stale_s()


class Heartbeat:
    """A daemon thread that beats for one run until ``stop()``; ``on_beat`` runs after each beat (the
    queue uses it to record the beat in its database and to pick up a Stop asked from another process)."""

    def __init__(self, run_path: str | Path, on_beat: Callable[[], None] | None = None,
                 every: float | None = None) -> None:
        self.run_path, self.on_beat = Path(run_path), on_beat
        self.every = heartbeat_s() if every is None else every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tuneboard-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._tick()  # beat at once: a just-started run is alive before its first interval ends
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._done.wait(self.every):
            self._tick()

    def _tick(self) -> None:
        try:
            beat(self.run_path)
            if self.on_beat:
                self.on_beat()
        except Exception:  # noqa: BLE001 -- a deleted folder or a locked database must not kill training
            pass
