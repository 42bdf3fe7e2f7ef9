"""Start a run as N data-parallel processes (``accelerate launch``) and follow it through its run folder.

Used by ``train --processes N`` and, on a machine with more than one GPU, by the app's run queue
(``executor_for``). The parent makes the run folder, starts ``accelerate launch ... -m tuneboard train
--run-dir RUN`` in a session of its own, and reads rank 0's ``history.jsonl`` as it grows: the same events,
in the same order, as a run trained in this process. A Stop becomes the run's stop file (``distributed``),
which rank 0 reads and all ranks agree on, so the run ends "stopped" with its best model kept.

Why ``--multi_gpu`` even on CPU: it is accelerate's torchrun launcher (one process per rank, RANK/WORLD_SIZE
set); ``--cpu`` starts a single process (or needs mpirun and a host file). Our ranks pick gloo on CPU.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable

from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError, RunError
from tuneboard.files import open_private
from tuneboard.i18n import DEFAULT, LANGUAGES, catalog, retell, t
from tuneboard.paths import PROJECT, RunFiles
from tuneboard.protocol import BASELINE_MODEL, FINAL, RunStatus, Status
from tuneboard.runs.folder import RunDir, create_run
from tuneboard.runs.liveness import parent_env
from tuneboard.train import distributed
from tuneboard.train.distributed import clear_stop, request_stop
from tuneboard.train.pipeline import RunResult, check_config

LAUNCH_LOG = RunFiles.LAUNCH_LOG  # the launcher's and every rank's output (rank 0 writes the run's own files)
ROOT = PROJECT
EventFn = Callable[[dict[str, Any]], None]


def gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def check_processes(processes: int, device: str) -> None:
    """One-line errors for a process count this machine cannot run."""
    if processes < 1:
        raise ConfigError(t("engine.err.launch.processes_min", processes=processes))
    gpus = 0 if device == "cpu" else gpu_count()
    if gpus and processes > gpus:
        raise ConfigError(t("engine.err.launch.too_many", processes=processes, gpus=gpus))


def launch_command(run_path: str | Path, processes: int, resume: bool = False, port: int | None = None) -> list[str]:
    """``accelerate launch`` for ``processes`` ranks on this machine, training the run folder ``run_path``."""
    return [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "--main_process_port", str(port or free_port()),
            "-m", "tuneboard", "train", "--quiet", "--resume" if resume else "--run-dir", str(run_path)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def executor_for(config: TrainConfig) -> Callable[..., Any]:
    """How the run queue trains ``config``: in its own process, or as one accelerate process per GPU when the
    machine has more than one (and the run trains on GPU)."""
    gpus = gpu_count()
    if gpus > 1 and config.device != "cpu" and config.model != BASELINE_MODEL:
        return partial(execute_launched, processes=gpus)
    from tuneboard.train.pipeline import execute

    return execute


def execute_launched(config: TrainConfig, on_event: EventFn | None = None, stop: threading.Event | None = None,
                     run: RunDir | None = None, data: Any = None, resume: bool = False, *,
                     processes: int) -> RunResult:
    """``training.execute``'s contract, with the training in ``processes`` accelerate ranks: bad input raises
    before a folder is made (unless ``run`` is given), every event reaches ``on_event``, ``stop`` stops all
    ranks, and a run whose processes ended without a final status is failed with a plain reason."""
    stop = stop or threading.Event()
    check_processes(processes, config.device)
    if run is None:
        if resume:
            raise RunError(t("engine.err.launch.resume_folder"))
        data = data or check_config(config)
        run = create_run(config)
    clear_stop(run.path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           **parent_env()}  # every rank ends when this process does (a killed server leaves no training behind)
    follower = HistoryFollower(run.path / RunFiles.HISTORY, on_event)
    with open_private(run.path / LAUNCH_LOG, "ab") as log:
        # close_fds (the default, said here): no descriptor of ours, the server's listening socket above all,
        # stays open in the launcher or its ranks to block the next start on that port
        proc = subprocess.Popen(launch_command(run.path, processes, resume), stdout=log, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True, close_fds=True)  # Ctrl-C reaches only us
        try:
            _follow(proc, run, follower, stop)
        except BaseException:
            _terminate(proc)
            run.set_status(RunStatus.FAILED, t("engine.reason.processes_ended", path=str(run.path)))
            raise
        finally:
            clear_stop(run.path)
    follower.poll()
    return _outcome(run, proc.returncode, follower)


def train_processes(config: TrainConfig, processes: int, printer: EventFn, run: RunDir | None = None,
                    resume: bool = False) -> RunResult:
    """``train --processes N``: ``execute_launched`` with Ctrl-C as in a one-process run (the first stops after
    the current step keeping the best model, a second one ends the processes)."""
    if resume and run is not None:
        from tuneboard.train.checkpoint import check_resumable

        check_resumable(run)
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return execute_launched(config, printer, stop, run, resume=resume, processes=processes)

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print(t("engine.launch.stopping"), file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        return execute_launched(config, printer, stop, run, resume=resume, processes=processes)
    finally:
        signal.signal(signal.SIGINT, previous)


class HistoryFollower:
    """Hands each complete new line of a growing ``history.jsonl`` to ``on_event`` (a torn line waits)."""

    def __init__(self, path: Path, on_event: EventFn | None) -> None:
        self.path, self.on_event, self.offset, self.events = path, on_event, 0, 0

    def poll(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        for line in chunk[:end].splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self.events += 1
            if self.on_event:
                self.on_event(event)


def _follow(proc: subprocess.Popen, run: RunDir, follower: HistoryFollower, stop: threading.Event) -> None:
    asked = False
    while proc.poll() is None:
        follower.poll()
        if stop.is_set() and not asked:
            request_stop(run.path)
            asked = True
        time.sleep(0.2)


def _terminate(proc: subprocess.Popen) -> None:
    """End the launcher and every rank (they share the session it leads)."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _outcome(run: RunDir, returncode: int, follower: HistoryFollower) -> RunResult:
    """The run as its folder tells it; a run left without a final status failed, with the first error a rank
    printed (or the launcher's exit code) as its reason."""
    st = run.status()
    status, reason = st["status"], st.get("reason")
    if status not in FINAL or run.raw_status() not in FINAL:
        reason = _first_error(run.path / LAUNCH_LOG) or t("engine.reason.ranks_ended", code=returncode,
                                                          log=LAUNCH_LOG)
        run.set_status(RunStatus.FAILED, reason)
        run.append_event(Status(status=RunStatus.FAILED, reason=retell(reason, DEFAULT), time=time.time()).to_dict())
        follower.poll()
        status = RunStatus.FAILED
    if status == RunStatus.FAILED:
        raise RunError(reason or t("engine.err.run.failed_see_history"))
    return RunResult(run, RunStatus(status), run.metrics() or {})


def _first_error(log: Path) -> str | None:
    """The first one-line error a rank printed (``error: ...``, as the CLI prints a named error, in any language)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    starts = {catalog(lang)["cli.error"].split("{message}")[0] for lang in LANGUAGES}
    return next((line[len(start):].strip() for line in lines for start in starts if line.startswith(start)), None)


def train_replica(config: TrainConfig, resume_from: Path | None = None) -> None:
    """What a rank other than 0 does: the same data and split, the same ``Trainer.fit``, and nothing written
    (events go nowhere, the trainer's hooks skip evaluation and checkpoints). ``resume_from``: the run
    folder whose checkpoint all ranks load (multi-node resume needs it on a shared file system)."""
    from tuneboard.data.prepare import prepare_data
    from tuneboard.paths import workspace
    from tuneboard.train.checkpoint import checkpoint_dir
    from tuneboard.train.loop import Trainer

    if config.model == BASELINE_MODEL:  # the TF-IDF model is fitted by rank 0 alone
        return
    trainer = Trainer(config, prepare_data(config), lambda event: None, threading.Event())
    trainer.encode(cache=workspace().token_cache)
    try:
        trainer.fit(checkpoint_dir(resume_from) if resume_from else None, resume=resume_from is not None)
    except Exception as e:
        lost = distributed.lost_process(e)
        if lost is None:
            raise
        raise lost from None
