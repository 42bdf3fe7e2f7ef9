"""How much memory a run needs, whether it fits, and the largest batch that fits on a GPU.

The estimate is deliberately simple (weights + gradients + AdamW state + activations) and errs on the
high side; it is shown next to the free memory before a run starts, and a run that clearly cannot fit
is refused with advice instead of crashing halfway.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from tuneboard.errors import OutOfMemory
from tuneboard.i18n import t


@dataclass(frozen=True)
class MemoryEstimate:
    weights_gb: float
    gradients_gb: float
    optimizer_gb: float
    activations_gb: float

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.gradients_gb + self.optimizer_gb + self.activations_gb

    def to_dict(self) -> dict[str, float]:
        return {**self.__dict__, "total_gb": self.total_gb}


def estimate_memory(parameters: int, trainable: int, hidden: int, layers: int, heads: int,
                    batch_size: int, max_length: int, half_precision: bool = False) -> MemoryEstimate:
    """Training memory for a BERT-like encoder.

    Activations per layer follow Korthikanti et al. (2022): about s*b*h*(34 + 5*a*s/h) bytes in
    16-bit; doubled for fp32. The fp32 master weights, gradients and AdamW moments are 4+4+8 bytes
    per trainable parameter.
    """
    gb = 2**30
    act_bytes = max_length * batch_size * hidden * (34 + 5 * heads * max_length / max(hidden, 1)) * layers
    if not half_precision:
        act_bytes *= 2
    return MemoryEstimate(weights_gb=4 * parameters / gb, gradients_gb=4 * trainable / gb,
                          optimizer_gb=8 * trainable / gb, activations_gb=act_bytes / gb)


def estimate_for(card: Any, batch_size: int, max_length: int, freeze_embeddings: bool,
                 half_precision: bool = False, lora_rank: int | None = None) -> MemoryEstimate:
    """``estimate_memory`` from a ``catalog.ModelCard``; with ``lora_rank`` only the adapters, the pooler
    and the head are trainable, so gradients and AdamW state shrink to theirs."""
    hidden = card.hidden_size or 768
    vocab = card.vocab_size or 0
    if lora_rank:
        trainable = lora_trainable(hidden, card.layers or 12, lora_rank)
    else:
        trainable = card.parameters - (vocab * hidden if freeze_embeddings else 0)
    heads = max(1, hidden // 64)
    seq = min(max_length, card.max_positions or max_length)
    return estimate_memory(card.parameters, max(trainable, 0), hidden, card.layers or 12, heads,
                           batch_size, seq, half_precision)


def lora_trainable(hidden: int, layers: int, rank: int, labels: int = 8) -> int:
    """Trainable parameters of a LoRA run: an A (r x h) and a B (h x r) matrix on the query and value
    layers of every layer, plus the pooler (h x h) and the classification head (h x labels) in full."""
    return layers * 2 * 2 * rank * hidden + hidden * hidden + hidden * (labels + 1)


def fit_verdict(estimate: MemoryEstimate, free_gb: float) -> tuple[str, str]:
    """('ok' | 'tight' | 'no', one sentence) comparing the estimate with free memory."""
    need = estimate.total_gb
    if free_gb <= 0:
        return "ok", t("engine.memory.needs", need=need)
    if need <= 0.7 * free_gb:
        return "ok", t("engine.memory.fits", need=need, free=free_gb)
    if need <= free_gb:
        return "tight", t("engine.memory.tight", need=need, free=free_gb)
    return "no", t("engine.memory.no", need=need, free=free_gb)


def find_batch_size(try_batch: Callable[[int], None], start: int, limit: int, is_oom: Callable[[BaseException], bool],
                    on_oom: Callable[[], None] = lambda: None) -> int:
    """The largest batch size in start, 2*start, 4*start ... <= limit for which ``try_batch`` succeeds.

    If ``start`` itself does not fit, halve until one fits; raise ``OutOfMemory`` if even 1 fails.
    """
    def fits(b: int) -> bool:
        try:
            try_batch(b)
            return True
        except Exception as e:  # only memory errors mean "too big"; anything else is a real bug
            if not is_oom(e):
                raise
            on_oom()
            return False

    size = start
    while not fits(size):
        if size == 1:
            raise OutOfMemory(t("engine.err.memory.batch_of_one"))
        size //= 2
    if size < start:
        return size
    while size * 2 <= limit and fits(size * 2):
        size *= 2
    return size
