"""Resumable checkpoints: what an interrupted run needs to go on where it was, in files whose loading
runs no code.

    <run>/checkpoint/
        latest.json                 {"dir": "step-0000042-1a2b", "step": 42}: the complete checkpoint
        step-0000042-1a2b/
            model.safetensors       the weights now (``safetensors.torch.save_model``: tied weights once)
            best.safetensors        the best evaluation's weights (the model kept at the end)
            optimizer.safetensors   the optimizer's tensors, named "<param index>.<name>" (AdamW: step, exp_avg...)
            tensors.safetensors     torch's RNG states (CPU, each CUDA device), the best evaluation's scores
            state.json              position in the epoch, progress counters, batch size, learning-rate scale,
                                    the optimizer's param groups, Python's and NumPy's RNG, the best evaluation

Safe loading: a run folder can come from someone else (a shared server, a copied folder), so nothing here
is unpickled. Tensors are safetensors (a JSON header and raw bytes), everything else JSON. We do not use
``torch.load(weights_only=True)`` even for the optimizer: its restricted unpickler is still an unpickler
(CVE-2025-32434 ran code through it in torch < 2.6), while these two formats have no code path at all.

Atomic: a checkpoint is written into a temporary folder, renamed to its final name (``os.replace``), and
only then named in ``latest.json`` (itself replaced atomically); older ones are removed afterwards. A kill
at any moment leaves ``latest.json`` naming a complete checkpoint, or no ``latest.json`` at all.
"""
from __future__ import annotations

import json
import os
import random
import secrets
import shutil
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tuneboard.config import TrainConfig
from tuneboard.errors import RunError
from tuneboard.files import DIR_MODE, make_private, private_dir, write_json_atomic
from tuneboard.i18n import t
from tuneboard.paths import RunFiles
from tuneboard.protocol import ACTIVE, HAS_MODEL, RunStatus
from tuneboard.runs.folder import RunDir

FOLDER = "checkpoint"
LATEST = "latest.json"
MODEL, BEST, OPTIMIZER, TENSORS, STATE = ("model.safetensors", "best.safetensors", "optimizer.safetensors",
                                          "tensors.safetensors", "state.json")
SCORES_KEY, TORCH_RNG_KEY, CUDA_RNG_PREFIX = "best.scores", "rng.torch", "rng.cuda."


class CheckpointUnreadable(RunError):
    """The latest checkpoint could not be loaded. It is kept: the cause may lie outside it (a file's mode, a
    disk not mounted yet), and once that is fixed the run resumes from it."""


@dataclass
class EpochPosition:
    """Where training is within an epoch whose batch order is ``length_batches(..., seed + epoch)``
    cut at ``order_batch_size``: how many of those batches, and samples, were consumed."""

    epoch: int
    order_batch_size: int
    batches_done: int = 0
    samples_done: int = 0


@dataclass
class Checkpoint:
    """Everything of a training state besides the model's and the optimizer's own tensors."""

    position: EpochPosition
    progress: dict[str, float]  # the trainer's counters: seen, step, tokens, train_time, cpu_time, elapsed
    batch_size: int  # it can have shrunk after an out-of-memory error
    lr_scale: float
    best: dict[str, Any] | None = None  # the best evaluation: metrics, step, epoch
    best_scores: np.ndarray | None = None
    best_weights: dict[str, Any] | None = None  # name -> CPU tensor
    rng: dict[str, Any] = field(default_factory=dict)  # filled by save_checkpoint, restored by restore_rng
    extra: dict[str, Any] = field(default_factory=dict)  # JSON-able state of other loop features

    @property
    def step(self) -> int:
        return int(self.progress.get("step", 0))


def checkpoint_dir(run_path: str | Path) -> Path:
    return Path(run_path) / FOLDER


def epoch_queue(lengths: np.ndarray, pos: EpochPosition, batch_size: int, seed: int) -> deque[list[int]]:
    """The batches still to train in ``pos.epoch``: the epoch's deterministic order minus what was consumed.
    When the batch shrank mid-epoch (out of memory), the rest is re-cut at the new size from the position
    in samples, as ``Trainer._shrink_batch`` does, so a resumed epoch sees the batches it would have seen."""
    from tuneboard.predict.batching import (
        length_batches,  # imports torch: not at the top, the UI asks resumable() cheaply
    )

    batches = length_batches(lengths, pos.order_batch_size, shuffle=True, seed=seed + pos.epoch)
    if batch_size == pos.order_batch_size:
        return deque(batches[pos.batches_done:])
    rest = [i for b in batches for i in b][pos.samples_done:]
    return deque(rest[i:i + batch_size] for i in range(0, len(rest), batch_size))


# -- RNG ---------------------------------------------------------------------------------------
def capture_rng() -> tuple[dict[str, Any], dict[str, Any]]:
    """Python's, NumPy's and torch's random states: (JSON-able part, tensors)."""
    import torch

    version, state, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    tensors = {TORCH_RNG_KEY: torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        tensors.update({f"{CUDA_RNG_PREFIX}{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    return {"python": [version, list(state), gauss],
            "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]}, tensors


def restore_rng(rng: dict[str, Any]) -> None:
    """Put back the states ``capture_rng`` took (as ``Checkpoint.rng`` holds them)."""
    import torch

    version, state, gauss = rng["python"]
    random.setstate((int(version), tuple(int(x) for x in state), gauss))
    name, keys, pos, has_gauss, cached = rng["numpy"]
    np.random.set_state((str(name), np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss), float(cached)))
    torch.set_rng_state(rng[TORCH_RNG_KEY])
    cuda = [rng[k] for k in sorted((k for k in rng if k.startswith(CUDA_RNG_PREFIX)), key=_index)]
    if cuda and torch.cuda.is_available() and torch.cuda.device_count() == len(cuda):
        torch.cuda.set_rng_state_all(cuda)


# -- saving ------------------------------------------------------------------------------------
def save_checkpoint(folder: Path, model: Any, optimizer: Any, state: Checkpoint) -> Path:
    """Write a complete checkpoint (the RNG states are taken now) and make it the latest; returns its folder."""
    from safetensors.torch import save_file, save_model

    private_dir(folder)
    name = f"step-{state.step:07d}-{secrets.token_hex(2)}"
    tmp = folder / f".tmp-{name}"
    tmp.mkdir(mode=DIR_MODE)
    try:
        rng, rng_tensors = capture_rng()
        save_model(model, str(tmp / MODEL))
        if state.best_weights is not None:
            save_file(_cpu(state.best_weights), str(tmp / BEST))
        opt_tensors, opt_meta = _optimizer_parts(optimizer)
        save_file(opt_tensors, str(tmp / OPTIMIZER))
        if state.best_scores is not None:
            import torch

            rng_tensors[SCORES_KEY] = torch.from_numpy(np.ascontiguousarray(state.best_scores))
        save_file(_cpu(rng_tensors), str(tmp / TENSORS))
        meta = {"position": asdict(state.position), "progress": state.progress, "batch_size": state.batch_size,
                "lr_scale": state.lr_scale, "best": state.best, "rng": rng, "optimizer": opt_meta,
                "extra": state.extra}
        (tmp / STATE).write_text(json.dumps(meta, default=_jsonable), encoding="utf-8")
        make_private(tmp)  # safetensors writes with the umask's modes
        for f in tmp.iterdir():
            _fsync(f)
        os.replace(tmp, folder / name)
        write_json_atomic(folder / LATEST, {"dir": name, "step": state.step})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in folder.iterdir():  # older checkpoints and temp folders left by a kill
        if old.is_dir() and old.name != name:
            shutil.rmtree(old, ignore_errors=True)
        elif old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)
    return folder / name


def _optimizer_parts(optimizer: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """An optimizer's state dict split into tensors (for safetensors) and the JSON-able rest."""
    import torch

    sd = optimizer.state_dict()
    tensors: dict[str, Any] = {}
    plain: dict[str, dict[str, Any]] = {}
    for pid, values in sd["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"{pid}.{key}"] = value
            else:
                plain.setdefault(str(pid), {})[key] = value
    return _cpu(tensors), {"param_groups": sd["param_groups"], "plain": plain}


# -- loading -----------------------------------------------------------------------------------
def latest_checkpoint(folder: Path) -> Path | None:
    """The complete checkpoint ``latest.json`` names, or None."""
    try:
        name = json.loads((folder / LATEST).read_text(encoding="utf-8"))["dir"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    path = folder / str(name)
    return path if path.parent == folder and (path / STATE).is_file() else None


def load_checkpoint(folder: Path, model: Any, optimizer: Any) -> Checkpoint | None:
    """Load the latest checkpoint's weights into ``model`` and its state into ``optimizer``; return the
    rest (None when there is none). Call ``restore_rng(result.rng)`` right before training goes on."""
    path = latest_checkpoint(folder)
    if path is None:
        return None
    from safetensors.torch import load_file, load_model

    try:
        meta = json.loads((path / STATE).read_text(encoding="utf-8"))
        load_model(model, str(path / MODEL))
        _load_optimizer(optimizer, load_file(str(path / OPTIMIZER)), meta["optimizer"])
        tensors = load_file(str(path / TENSORS))
        best_weights = load_file(str(path / BEST)) if (path / BEST).is_file() else None
        scores = tensors.pop(SCORES_KEY, None)
        return Checkpoint(position=EpochPosition(**meta["position"]), progress=meta["progress"],
                          batch_size=int(meta["batch_size"]), lr_scale=float(meta["lr_scale"]), best=meta["best"],
                          best_scores=scores.numpy() if scores is not None else None, best_weights=best_weights,
                          rng={**meta["rng"], **tensors}, extra=meta.get("extra") or {})
    except Exception as e:  # noqa: BLE001 -- any damage is the same problem for the user
        raise CheckpointUnreadable(t("engine.err.checkpoint.unreadable", path=path, kind=type(e).__name__)) from None


def _load_optimizer(optimizer: Any, tensors: dict[str, Any], meta: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        pid, name = key.split(".", 1)
        state.setdefault(int(pid), {})[name] = value
    for pid, values in meta["plain"].items():
        state.setdefault(int(pid), {}).update(values)
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in meta["param_groups"]]
    optimizer.load_state_dict({"state": state, "param_groups": groups})


# -- runs --------------------------------------------------------------------------------------
def has_checkpoint(run_path: str | Path) -> bool:
    return latest_checkpoint(checkpoint_dir(run_path)) is not None


def discard_checkpoint(run_path: str | Path) -> None:
    """Remove a run's checkpoints (a finished run needs none; they are several times the model's size)."""
    shutil.rmtree(checkpoint_dir(run_path), ignore_errors=True)


def check_resumable(run: RunDir) -> bool:
    """Raise ``RunError`` unless ``run`` can go on; returns whether it has a checkpoint (if not, an
    interrupted run restarts from the beginning)."""
    status = run.status().get("status")
    found = has_checkpoint(run.path)
    if status in ACTIVE:
        raise RunError(t("engine.err.checkpoint.still_active", run_id=run.run_id, status=status))
    if status in HAS_MODEL:
        raise RunError(t("engine.err.checkpoint.finished", run_id=run.run_id, status=status))
    if status != RunStatus.INTERRUPTED and not found:
        raise RunError(t("engine.err.checkpoint.none_kept", run_id=run.run_id, status=status))
    return found


def resumable(run: RunDir) -> bool:
    """Whether ``check_resumable`` would accept ``run`` (to show a Resume button)."""
    try:
        check_resumable(run)
    except RunError:
        return False
    return True


def read_config(run: RunDir) -> TrainConfig:
    """The run's ``config.json``, or a one-line ``RunError`` when it is torn or unreadable."""
    try:
        return run.config()
    except (OSError, ValueError, TypeError) as e:
        raise RunError(t("engine.err.checkpoint.bad_config", run_id=run.run_id, kind=type(e).__name__)) from None


def reopen(run: RunDir) -> None:
    """Make a run folder ready to go on: a history whose last line was torn by the kill gets a line end,
    so the torn line stays one unreadable line (skipped by readers) instead of swallowing the next event."""
    try:
        with open(run.path / RunFiles.HISTORY, "rb+") as f:
            size = f.seek(0, os.SEEK_END)
            if size:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    f.write(b"\n")
    except FileNotFoundError:
        pass
    run.set_status(RunStatus.QUEUED, None, ended_at=None)


# -- helpers -----------------------------------------------------------------------------------
def _cpu(tensors: dict[str, Any]) -> dict[str, Any]:
    return {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _index(key: str) -> int:
    return int(key.rsplit(".", 1)[1])


def _jsonable(o: Any) -> Any:
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
