"""Is a run still being trained? The worker's heartbeat, and whether the process that beats still exists.

Whoever trains a run touches ``<run>/heartbeat`` every ``heartbeat_s()`` seconds from a small thread; a
running run whose heartbeat is older than ``stale_s()`` seconds has nobody training it any more and reads as
interrupted. Touching a file (its mtime) writes no JSON, so it never races the run's other files.

The window alone made a run killed a moment ago look alive for up to ``stale_s()`` seconds, so its Resume was
refused. So the heartbeat file also names its writer once, when beating starts: machine, pid and the
process's start time (``Worker``). On the same machine a run whose writer has ended, or whose pid now belongs
to a process started at another time (a recycled pid: containers number their processes from 1 again), is
gone at once; a writer on another machine cannot be looked at, and the window decides. ``working`` is the
one rule: the run folders (``alive``), the durable queue (store.py) and the registry (jobs.py) all ask it.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from tuneboard.paths import RunFiles
from tuneboard.server_settings import PARENT, server_settings

HEARTBEAT_FILE = RunFiles.HEARTBEAT
PARENT_ENV = PARENT  # the process a child must not outlive (``parent_env``, ``end_with_parent``)
SAME_START_S = 1.0  # psutil derives a start time from the boot time, which it may read a second apart


def heartbeat_s() -> float:
    """Seconds between two beats (``TUNEBOARD_HEARTBEAT_S``, default 2)."""
    return server_settings().heartbeat_s


def stale_s() -> float:
    """A heartbeat older than this (``TUNEBOARD_STALE_S``, default 30 s) means nobody trains the run.

    Fifteen missed beats: a step that holds the GIL for seconds on a busy machine must not read as death."""
    return server_settings().stale_s


@lru_cache(maxsize=1)
def machine() -> str:
    """This machine as far as pids go: the host name and the pid namespace (two containers that share a
    host name and a runs folder still number their processes apart)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}|{namespace}"


def start_time(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), or None when no such process runs (a zombie has ended)."""
    import psutil  # accelerate's dependency, so always installed

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except psutil.NoSuchProcess:
        return None


@dataclass(frozen=True)
class Worker:
    """The process training a run: where, which pid, since when."""

    host: str
    pid: int
    started: float

    @classmethod
    def current(cls) -> "Worker":
        return cls(machine(), os.getpid(), start_time(os.getpid()) or 0.0)

    def gone(self) -> bool:
        """Known to have ended: it ran on this machine and its pid is free or another process's now. A worker
        on another machine is never known to be gone (the heartbeat window decides)."""
        if self.host != machine():
            return False
        try:
            started = start_time(self.pid)
        except Exception:  # noqa: BLE001 -- a process we may not look at exists: not known to be gone
            return False
        return started is None or abs(started - self.started) > SAME_START_S

    def to_text(self, **extra: str) -> str:
        """JSON; ``extra`` keys (a registry's own tag) ride along and are ignored by ``from_text``."""
        return json.dumps({**asdict(self), **extra}, sort_keys=True)

    @classmethod
    def from_text(cls, text: str | bytes | None) -> "Worker | None":
        """The worker ``to_text`` wrote, or None for anything else (an empty file, an older format)."""
        try:
            data = json.loads(text or "")
            return cls(str(data["host"]), int(data["pid"]), float(data["started"]))
        except (ValueError, TypeError, KeyError):
            return None


def working(last: float | None, worker: Worker | None, stale: float | None = None, now: float | None = None) -> bool:
    """The liveness rule: a beat within ``stale`` (default ``stale_s()``) seconds, from a worker that is
    not known to be gone."""
    window = stale_s() if stale is None else stale
    if last is None or (now or time.time()) - last >= window:
        return False
    return worker is None or not worker.gone()


def beat(run_path: str | Path) -> None:
    """Say "still training" for the run at ``run_path`` (creates the file on the first beat)."""
    path = Path(run_path) / HEARTBEAT_FILE
    try:
        os.utime(path)
    except FileNotFoundError:
        path.touch()


def claim(run_path: str | Path, worker: Worker | None = None) -> None:
    """Name this process (or ``worker``) as the run's worker and beat: the file is replaced atomically, so a
    reader sees the previous worker or this one."""
    from tuneboard.files import write_text_atomic

    write_text_atomic(Path(run_path) / HEARTBEAT_FILE, (worker or Worker.current()).to_text())


def last_beat(run_path: str | Path) -> float | None:
    """When the run's worker last beat (epoch seconds), or None if it never did."""
    try:
        return (Path(run_path) / HEARTBEAT_FILE).stat().st_mtime
    except OSError:
        return None


def worker_of(run_path: str | Path) -> Worker | None:
    """The worker named in the run's heartbeat file, if any."""
    try:
        return Worker.from_text((Path(run_path) / HEARTBEAT_FILE).read_text(encoding="utf-8"))
    except OSError:
        return None


def alive(run_path: str | Path, now: float | None = None) -> bool:
    """Whether someone trains this run: ``working`` for its heartbeat file."""
    return working(last_beat(run_path), worker_of(run_path), now=now)


def parent_env() -> dict[str, str]:
    """Environment entries for a child process that must end when this one does (``end_with_parent``)."""
    return {PARENT_ENV: Worker.current().to_text()}


def end_with_parent(every: float = 1.0) -> bool:
    """In a process started with ``parent_env``: a daemon thread that kills this process once that parent has
    ended (a server killed with kill -9 leaves no training behind it). Watching the named process, not
    ``prctl(PR_SET_PDEATHSIG)``: a rank's parent is accelerate's launcher, not the server, and the signal
    follows the thread that forked, not the process. Returns whether a parent is watched."""
    parent = Worker.from_text(server_settings().parent)
    if parent is None:
        return False

    def watch() -> None:
        while not parent.gone():
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGKILL)  # as if killed with it: the checkpoint stays, the run can resume

    threading.Thread(target=watch, name="tuneboard-parent-watch", daemon=True).start()
    return True


def end_if_orphaned() -> None:
    """End this process now, as ``end_with_parent``'s watcher would, when the process it must not outlive has
    ended: a rank that sees its peer vanish because their server was killed must not record the run as failed
    before its own watcher fires (up to a second later); killed, it leaves the run interrupted, resumable."""
    parent = Worker.from_text(server_settings().parent)
    if parent is not None and parent.gone():
        os.kill(os.getpid(), signal.SIGKILL)


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
        try:
            claim(self.run_path)  # the first beat names this process, so its death is seen at once
        except Exception:  # noqa: BLE001 -- a deleted folder or a full disk: the beats below say what they can
            pass
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
