"""The batch size a run trains with when it may choose (``auto_batch_size``, on by default).

Two rules, both said in a notice, both scaling the learning rate by the square root of the change:
- a small run takes smaller batches (halved down to 8) until it has ``MIN_RUN_STEPS`` steps: 1,000 rows x 1 epoch
  at batch 32 was 32 steps and 0.871 accuracy, below the TF-IDF baseline; at 16, 63 steps and 0.891
  (; bench/RESULTS.md);
- on a GPU the batch grows to the largest that fits (worst case: the longest examples), keeping at least ~30
  steps per epoch and the small-run rule's steps.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from tuneboard.model.device import free_memory, is_oom
from tuneboard.predict.batching import collate
from tuneboard.protocol import Notice
from tuneboard.train.steps import MIN_RUN_STEPS, batch_for_steps, train_step

# ``tr`` below is the run's ``trainer.Trainer`` (not imported here: the trainer imports this module).


def choose_batch_size(tr: Any, optimizer: Any) -> None:
    """Set ``tr.batch_size`` and ``tr.lr_scale`` for a new run (a resumed run keeps its checkpoint's)."""
    enough_steps(tr)
    if tr.device.type == "cuda":
        probe_gpu(tr, optimizer)


def enough_steps(tr: Any) -> None:
    old, n = tr.batch_size, len(tr.train_enc)
    tr.batch_size = batch_for_steps(n, tr.cfg.epochs, old, tr.dist.world_size)
    if tr.batch_size != old:
        tr.lr_scale *= math.sqrt(tr.batch_size / old)
        tr.emit(Notice.of("engine.notice.small_run", batch=tr.batch_size, old=old, steps=MIN_RUN_STEPS,
                          scale=f"{tr.lr_scale:.2f}"))


def probe_gpu(tr: Any, optimizer: Any) -> None:
    from tuneboard.model.memory import find_batch_size

    n, enc = len(tr.train_enc), tr.train_enc
    order = np.argsort(-enc.lengths)
    limit = max(tr.batch_size, min(512, 2 ** int(math.log2(max(n // 30, 1))),
                                   batch_for_steps(n, tr.cfg.epochs, 512, tr.dist.world_size)))

    def try_batch(b: int) -> None:
        idx = [int(order[i % n]) for i in range(b)]
        train_step(tr.model, collate(enc, idx, tr.device, tr.target_dtype), tr.amp, tr.loss_fn)
        optimizer.zero_grad(set_to_none=True)

    old = tr.batch_size
    # DISTRIBUTED: every rank must train the same batch size; the smallest GPU decides
    tr.batch_size = tr.dist.agree_min(find_batch_size(try_batch, old, limit, is_oom, free_memory))
    if tr.batch_size != old:
        tr.lr_scale *= math.sqrt(tr.batch_size / old)
        tr.emit(Notice.of("engine.notice.auto_batch", batch=tr.batch_size, scale=f"{tr.lr_scale:.2f}"))
