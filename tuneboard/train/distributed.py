"""Data-parallel training across processes: one of N ranks under ``accelerate launch`` or ``torchrun``.

Both launchers set ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``; ``setup``
reads them and joins the process group (gloo on CPU, NCCL on GPUs). We use ``torch.nn.parallel.
DistributedDataParallel`` directly rather than accelerate's ``Accelerator``: our loop owns its batching
(length buckets, batch halving), its learning-rate schedule (by samples seen) and its checkpoints, so of
``Accelerator.prepare`` only the model wrap would be used, and DDP is that wrap without another layer.
accelerate stays our launcher (``launch.py``), including multi-node.

How ranks work together (the trainer's hooks call ``Context`` methods; with one process each is a no-op):
- every rank builds the same epoch batch list (same seed) and, each step, takes the next ``world_size``
  batches, its own at position ``rank`` (``take``): per-process batch size B, B x N samples per step. The
  last step of an epoch is padded with batches of the same step so all ranks stay in lockstep; the
  progress (and so the learning-rate schedule) counts only real samples.
- DDP averages the gradients in backward; clipping and the optimizer step then agree on every rank.
- a stop (Stop button, stop file, Ctrl-C, SIGTERM from the launcher) on any rank is agreed on with one
  small all-reduce per step (``should_stop``), so all ranks stop after the same step.
- rank 0 alone writes the run folder, events, checkpoints, metrics and the model, and evaluates; the
  others wait at a barrier. Every collective has the process group's timeout (``TUNEBOARD_DIST_TIMEOUT_S``),
  and a rank that dies makes the others fail with ``lost_process``'s one-line message.
"""
from __future__ import annotations

import os
import signal
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from tuneboard.errors import RunError
from tuneboard.i18n import t
from tuneboard.paths import RunFiles
from tuneboard.server_settings import server_settings

STOP_FILE = RunFiles.STOP  # <run>/stop: "stop after the current step", from any process that can write the folder


def timeout_s() -> float:
    """Seconds a collective may wait for the other ranks (``TUNEBOARD_DIST_TIMEOUT_S``, default 1800: rank 0's
    evaluation of a large validation set happens while the others wait at a barrier)."""
    return server_settings().dist_timeout_s


@dataclass
class Context:
    """This process's place among the ranks. The default is one process, where every method is a no-op."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None
    terminated: threading.Event = field(default_factory=threading.Event)  # SIGTERM from the launcher
    broken: bool = False  # a rank was lost: leaving the group cleanly would wait for it

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def take(self, queue: deque[list[int]]) -> tuple[list[int], list[list[int]]]:
        """Pop one step's batches from the epoch queue: (this rank's batch, the step's real batches).
        Ranks past the end of a short last step train a batch of the same step again (padding)."""
        step = [queue.popleft() for _ in range(min(self.world_size, len(queue)))]
        return step[self.rank % len(step)], step

    def should_stop(self, requested: bool) -> bool:
        """Whether any rank was asked to stop (one all-reduce per step, so all ranks stop together)."""
        requested = requested or self.terminated.is_set()
        if not self.active:
            return requested
        return self._all_reduce(int(requested), "max") > 0

    def agree_any(self, flag: bool) -> bool:
        """Whether any rank says yes (rank 0's early-stopping decision, shared with the others)."""
        return self._all_reduce(int(flag), "max") > 0 if self.active else flag

    def agree_min(self, value: int) -> int:
        """The smallest ``value`` over the ranks (the batch size each GPU's probe found)."""
        return int(self._all_reduce(value, "min")) if self.active else value

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()

    def wrap(self, model: Any, device: Any) -> Any:
        """The model wrapped for gradient averaging (DDP), or the model itself with one process."""
        if not self.active:
            return model
        from torch.nn.parallel import DistributedDataParallel

        ids = [device.index if device.index is not None else self.local_rank] if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=ids)

    def describe(self, batch_size: int) -> str:
        return (f"Data parallel: {self.world_size} processes ({self.backend}), {batch_size} rows per process per "
                f"step, {batch_size * self.world_size} in all; rank 0 evaluates and writes the run folder.")

    def _all_reduce(self, value: int, how: str) -> float:
        import torch
        import torch.distributed as dist

        op = {"max": dist.ReduceOp.MAX, "min": dist.ReduceOp.MIN}[how]
        device = torch.device("cuda", torch.cuda.current_device()) if self.backend == "nccl" else None
        t = torch.tensor([float(value)], device=device)
        dist.all_reduce(t, op=op)
        return float(t.item())


_context = Context()


def current() -> Context:
    """This process's context (one process until ``setup`` joined a group)."""
    return _context


def launched() -> bool:
    """Whether this process was started by a distributed launcher with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(device_preference: str = "auto") -> Context:
    """Join the process group the launcher described (no-op for one process). NCCL when the run trains on
    a GPU, else gloo; each rank takes the GPU of its ``LOCAL_RANK``. A SIGTERM (the launcher stopping the
    ranks after one of them died, or after Ctrl-C) and a Ctrl-C become a stop request."""
    global _context
    if not launched() or _context.active:
        return _context
    import torch
    import torch.distributed as dist

    rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    gpu = device_preference != "cpu" and torch.cuda.is_available()
    if gpu:
        torch.cuda.set_device(local)
    backend = "nccl" if gpu else "gloo"
    try:
        dist.init_process_group(backend, rank=rank, world_size=world, timeout=timedelta(seconds=timeout_s()))
    except Exception as e:  # noqa: BLE001 -- a rendezvous that fails is one line for the user
        raise RunError(t("engine.err.dist.no_join", rank=rank, world=world, address=os.environ.get("MASTER_ADDR"),
                         port=os.environ.get("MASTER_PORT"), kind=type(e).__name__)) from None
    _context = Context(rank=rank, world_size=world, local_rank=local, backend=backend)
    if threading.current_thread() is threading.main_thread():  # rank 0's CLI puts its own Ctrl-C handler on top
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: _context.terminated.set())
    return _context


def teardown() -> None:
    """Leave the process group (end of the process)."""
    global _context
    if _context.active:
        import torch.distributed as dist

        if dist.is_initialized() and not _context.broken:
            dist.destroy_process_group()
    _context = Context()


def lost_process(error: BaseException) -> RunError | None:
    """The one-line failure for an error that means another rank died or stopped answering (None otherwise)."""
    if not _context.active or not isinstance(error, Exception):
        return None
    import torch.distributed as dist

    text = str(error).lower()
    peer = ("connection closed", "connection reset", "broken pipe", "timed out", "timeout", "nccl", "gloo",
            "connection refused", "socket")
    if isinstance(error, dist.DistError) or (isinstance(error, RuntimeError) and any(w in text for w in peer)):
        _context.broken = True
        return RunError(t("engine.err.dist.lost", rank=_context.rank, world=_context.world_size))
    return None


# -- stop file -----------------------------------------------------------------------------------
def request_stop(run_path: str | Path) -> None:
    """Ask the run at ``run_path`` to stop after its current step (whichever process trains it)."""
    (Path(run_path) / STOP_FILE).touch()


def stop_requested(run_path: str | Path) -> bool:
    return (Path(run_path) / STOP_FILE).exists()


def clear_stop(run_path: str | Path) -> None:
    (Path(run_path) / STOP_FILE).unlink(missing_ok=True)

