"""Where models come from and what they need: the catalog of sources, the device, memory estimates, LoRA.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``catalog``, ``device``, ``hf``, ``importing``, ``lora``, ``memory``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "DEFAULT_MODEL": "catalog",
    "ModelSource": "catalog",
    "amp_dtype": "device",
    "describe_model": "catalog",
    "device_info": "device",
    "dropout_overrides": "catalog",
    "estimate_for": "memory",
    "find_batch_size": "memory",
    "fit_verdict": "memory",
    "free_memory": "device",
    "import_model": "importing",
    "import_torch": "hf",
    "inference_amp": "device",
    "is_oom": "device",
    "list_local_models": "catalog",
    "load_classifier": "catalog",
    "load_model_config": "catalog",
    "load_tokenizer": "catalog",
    "names": "hf",
    "page_run": "hf",
    "pick_device": "device",
    "quiet_transformers": "catalog",
    "resolve_model": "catalog",
    "warm": "hf",
})
