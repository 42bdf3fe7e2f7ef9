"""Which device to train on, what it is, and how to give its memory back."""
from __future__ import annotations

import gc
from typing import Any

from tuneboard.errors import ConfigError
from tuneboard.i18n import t


def pick_device(preference: str = "auto") -> Any:
    """``auto``: CUDA when present, else CPU. Asking for CUDA without one is a ConfigError."""
    import torch

    if preference == "cuda" and not torch.cuda.is_available():
        raise ConfigError(t("engine.err.device.no_cuda"))
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def amp_dtype(device: Any, precision: str = "auto") -> Any:
    """The autocast dtype for ``precision`` on ``device`` (None: full precision).

    ``auto`` picks bfloat16 where the chip computes it natively: CUDA GPUs that support it, and CPUs with
    AVX512-BF16 or AMX (measured on an AVX512-BF16 EPYC, MiniLM, batch 32: a training step 2.3x and an
    evaluation pass 2.4x faster than fp32, same accuracy; bench/RESULTS.md). Elsewhere bfloat16 is
    emulated and slower, so ``auto`` stays in fp32. The weights and the optimizer stay fp32 either way
    (autocast), so the saved model is the same kind of file."""
    import torch

    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    return torch.bfloat16 if device.type == "cpu" and native_cpu_bf16() else None


def inference_amp(device: Any, precision: str = "auto") -> Any:
    """The autocast dtype for predicting: the training one on a GPU, full precision on the CPU.

    On the CPU a model is scored in fp32 even where it trained in bfloat16: the reported evaluation, the
    Predict page, the API and the ONNX export (fp32) must give the same answers for the same text, and
    bfloat16 rounding can flip a row near the decision threshold."""
    return amp_dtype(device, precision) if device.type == "cuda" else None


def native_cpu_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX); False when torch cannot tell."""
    import torch

    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, RuntimeError):
        return False


def device_info() -> dict[str, Any]:
    """Name and memory of the device ``auto`` would pick."""
    import os

    import torch

    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        return {"type": "cuda", "name": torch.cuda.get_device_name(0), "total_gb": total / 2**30,
                "free_gb": free / 2**30, "count": torch.cuda.device_count()}
    try:
        pages, page = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        avail = os.sysconf("SC_AVPHYS_PAGES") * page / 2**30
        total = pages * page / 2**30
    except (ValueError, OSError, AttributeError):
        total = avail = 0.0
    return {"type": "cpu", "name": f"CPU ({os.cpu_count()} cores)", "total_gb": total, "free_gb": avail, "count": 0}


def free_memory() -> None:
    """Return cached GPU memory after a run (callers drop their references first)."""
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


def is_oom(error: BaseException) -> bool:
    """True for CUDA and CPU out-of-memory errors."""
    import torch

    if isinstance(error, torch.OutOfMemoryError):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)
