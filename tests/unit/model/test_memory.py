import pytest
import torch

from tuneboard.errors import OutOfMemory
from tuneboard.model.catalog import describe_model
from tuneboard.model.device import is_oom
from tuneboard.model.memory import estimate_for, find_batch_size, fit_verdict


def test_estimate_grows_with_batch_and_length_and_shrinks_when_embeddings_are_frozen():
    card = describe_model("default")
    small = estimate_for(card, 8, 64, freeze_embeddings=False)
    assert 0.2 < small.total_gb < 2  # MiniLM-L6: 22.7M params; weights+grads+adam ~0.35 GB
    assert estimate_for(card, 64, 64, False).activations_gb == pytest.approx(8 * small.activations_gb)
    assert estimate_for(card, 8, 256, False).activations_gb > 4 * small.activations_gb
    frozen = estimate_for(card, 8, 64, freeze_embeddings=True)
    assert frozen.optimizer_gb < 0.6 * small.optimizer_gb


def test_verdicts():
    card = describe_model("default")
    est = estimate_for(card, 32, 128, True)
    assert fit_verdict(est, 64.0)[0] == "ok"
    assert fit_verdict(est, est.total_gb * 1.2)[0] == "tight"
    verdict, advice = fit_verdict(est, est.total_gb / 2)
    assert verdict == "no" and "Lower the batch size" in advice


def oom_above(limit):
    tried = []

    def step(b):
        tried.append(b)
        if b > limit:
            raise torch.OutOfMemoryError(f"CUDA out of memory at batch {b}")
    return step, tried


def test_auto_batch_size_probes_up_and_down():
    step, tried = oom_above(100)
    assert find_batch_size(step, 8, 512, is_oom) == 64 and tried == [8, 16, 32, 64, 128]
    step, tried = oom_above(5)
    assert find_batch_size(step, 32, 512, is_oom) == 4 and tried == [32, 16, 8, 4]
    step, _ = oom_above(10_000)
    assert find_batch_size(step, 8, 256, is_oom) == 256
    step, _ = oom_above(0)
    with pytest.raises(OutOfMemory):
        find_batch_size(step, 4, 64, is_oom)


def test_non_memory_errors_are_not_swallowed():
    def broken(b):
        raise ValueError("shape mismatch")
    with pytest.raises(ValueError):
        find_batch_size(broken, 8, 64, is_oom)
