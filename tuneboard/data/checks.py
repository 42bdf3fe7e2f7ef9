"""Everything that can be checked before a run starts; the CLI, the Train page and the run queue
call the same functions, so a run that would fail on its settings fails before a folder is made."""
from __future__ import annotations

import time
from typing import Any

from tuneboard.config import TrainConfig
from tuneboard.data.prepare import PreparedData, prepare_data
from tuneboard.errors import OutOfMemory
from tuneboard.model.device import amp_dtype, pick_device
from tuneboard.protocol import BASELINE_MODEL


def check_config(config: TrainConfig) -> PreparedData:
    """Read and split the data, pick the device and check the memory (raises a ``TuneboardError``)."""
    t0 = time.perf_counter()
    data = prepare_data(config)
    data.read_seconds = time.perf_counter() - t0
    device = pick_device(config.device)
    if config.model != BASELINE_MODEL:
        check_memory(config, device)
    return data


def check_memory(config: TrainConfig, device: Any) -> dict[str, Any]:
    """Estimate the run's memory and refuse it when it clearly cannot fit (raises ``OutOfMemory``)."""
    from tuneboard.model.catalog import describe_model
    from tuneboard.model.device import device_info
    from tuneboard.model.memory import estimate_for, fit_verdict

    card = describe_model(config.model)  # also fails early, in one line, for an unreachable hub id
    est = estimate_for(card, int(config.batch_size), int(config.max_length), bool(config.freeze_embeddings),
                       half_precision=amp_dtype(device, config.precision) is not None)
    verdict, advice = fit_verdict(est, float(device_info()["free_gb"]))
    if verdict == "no" and not (device.type == "cuda" and config.auto_batch_size):
        raise OutOfMemory(advice)
    return {"estimate": est.to_dict(), "verdict": verdict, "advice": advice}
