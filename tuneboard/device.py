"""Which device to train on, what it is, and how to give its memory back."""
from __future__ import annotations

import gc
from typing import Any

from .errors import ConfigError
from .i18n import t


def pick_device(preference: str = "auto") -> Any:
    """``auto``: CUDA when present, else CPU. Asking for CUDA without one is a ConfigError."""
    import torch

    if preference == "cuda" and not torch.cuda.is_available():
        raise ConfigError(t("engine.err.device.no_cuda"))
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def amp_dtype(device: Any) -> Any:
    """bf16 autocast on GPUs that support it; full precision elsewhere (CPU bf16 is slower on most CPUs)."""
    import torch

    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


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
