"""The pieces of one training step the ``Trainer`` composes: progress counters, the forward/backward step,
the optimizer, the learning-rate schedule and seeding. ``trainer.train_step`` is what tests patch to inject faults.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from tuneboard.config import TrainConfig

LossFn = Callable[[Any, dict[str, Any]], Any]  # (model outputs, batch with its "labels") -> loss


@dataclass
class Progress:
    """Counters of one run: samples and real tokens seen, steps, pure training time."""

    total: int
    n: int
    seen: int = 0
    step: int = 0
    tokens: int = 0
    train_time: float = 0.0
    cpu_time: float = 0.0  # process CPU seconds spent in training steps (robust to a busy machine)
    t0: float = field(default_factory=time.perf_counter)

    def advance(self, samples: int, tokens: int, seconds: float, cpu_seconds: float = 0.0) -> None:
        self.seen += samples
        self.step += 1
        self.tokens += tokens
        self.train_time += seconds
        self.cpu_time += cpu_seconds


def train_step(model: Any, batch: dict[str, Any], amp: Any, loss_fn: LossFn | None = None) -> Any:
    """Forward + backward on one batch; returns the detached loss (tests patch this to inject OOM).
    With ``loss_fn`` the model sees the inputs only and ``loss_fn(outputs, batch)`` is the loss (a
    class-weighted loss, or distillation's)."""
    import torch

    device_type = batch["input_ids"].device.type
    with torch.autocast(device_type, dtype=amp or torch.float32, enabled=amp is not None):
        if loss_fn is None:
            loss = model(**batch).loss
        else:
            loss = loss_fn(model(**{k: v for k, v in batch.items() if k != "labels"}), batch)
    loss.backward()
    return loss.detach()


def make_optimizer(model: Any, cfg: TrainConfig, device: Any) -> Any:
    """AdamW with no weight decay on biases and norms (fused on CUDA)."""
    import torch

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 or "LayerNorm" in name or "norm" in name.lower() else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, fused=device.type == "cuda")


# A run takes at least this many optimizer steps when the batch may be chosen for it (``auto_batch_size``):
# 1,000 rows x 1 epoch at the presets' batch 32 is 32 steps, too few for the new classification head to
# settle (0.871 accuracy, below the TF-IDF baseline's 0.883; bench/RESULTS.md).
MIN_RUN_STEPS = 50
SMALLEST_AUTO_BATCH = 8


def batch_for_steps(n: int, epochs: int, batch: int, ranks: int = 1) -> int:
    """The largest batch of at most ``batch`` rows, halving down to 8, that gives the run ``MIN_RUN_STEPS``
    optimizer steps over ``n`` rows x ``epochs`` (split over ``ranks`` processes); 8 when none does."""
    def steps(b: int) -> int:
        return math.ceil(math.ceil(n / b) / ranks) * epochs

    while batch > SMALLEST_AUTO_BATCH and steps(batch) < MIN_RUN_STEPS:
        batch = max(SMALLEST_AUTO_BATCH, batch // 2)
    return batch


def lr_at(base: float, progress: float, warmup: float) -> float:
    """Linear warm-up then linear decay, by the share of samples seen (not steps: the batch size
    can change mid-run after an out-of-memory error)."""
    if warmup > 0 and progress < warmup:
        return base * max(progress / warmup, 0.01)
    return base * max(0.0, (1 - progress) / max(1 - warmup, 1e-9))


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
