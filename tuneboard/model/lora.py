"""LoRA with ``peft``: low-rank adapters on the attention query/value layers of any encoder.

The base weights stay frozen; only the adapters and the classification head (plus the pooler,
when the model has one: sentence-embedding checkpoints never trained theirs for a task) learn, so
AdamW keeps state for ~1-2 % of the parameters. A run saves the adapter (``adapter/``) and a merged
model (``model/``, ``merge_and_unload``) that is a plain transformers folder: predict, export and
serve load it unchanged.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneboard.errors import ConfigError
from tuneboard.files import make_private
from tuneboard.i18n import t

# The attention projections that LoRA adapts, by the names encoders give them: BERT / RoBERTa / ELECTRA /
# XLM-R (query, value), DistilBERT (q_lin, v_lin), DeBERTa-v2 (query_proj, value_proj), BART-like (q_proj, v_proj).
QUERY_VALUE = ("query", "value", "q_lin", "v_lin", "query_proj", "value_proj", "q_proj", "v_proj")
ADAPTER_DIR = "adapter"


def target_modules(model: Any) -> list[str]:
    """The names of the query/value ``Linear`` layers of ``model``; else peft's table for its model type."""
    import torch
    from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as BY_TYPE

    found = sorted({name.rsplit(".", 1)[-1] for name, m in model.named_modules()
                    if isinstance(m, torch.nn.Linear) and name.rsplit(".", 1)[-1] in QUERY_VALUE})
    if found:
        return found
    known = BY_TYPE.get(getattr(model.config, "model_type", ""))
    if known:
        return list(known)
    raise ConfigError(t("engine.err.lora.no_layers", kind=type(model).__name__))


def head_modules(model: Any) -> list[str]:
    """Modules trained in full beside the adapters: the head (every top-level part outside the encoder)
    and the encoder's pooler when there is one."""
    prefix = getattr(model, "base_model_prefix", "")
    names = [n for n, m in model.named_children() if n != prefix and any(True for _ in m.parameters())]
    encoder = getattr(model, prefix, None)
    if encoder is not None and getattr(encoder, "pooler", None) is not None:
        names.append("pooler")
    return names


def apply_lora(model: Any, rank: int, alpha: int, dropout: float) -> Any:
    """``model`` wrapped with LoRA adapters (a ``PeftModelForSequenceClassification``)."""
    from peft import LoraConfig, TaskType, get_peft_model

    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=rank, lora_alpha=alpha, lora_dropout=dropout,
                        target_modules=target_modules(model), modules_to_save=head_modules(model))
    return get_peft_model(model, config)


def is_lora(model: Any) -> bool:
    return hasattr(model, "peft_config")


def trainable_parameters(model: Any) -> tuple[int, int]:
    """(trainable, all) parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


def save_adapter(model: Any, folder: Path) -> int:
    """Write the adapter (safetensors + adapter_config.json) to ``folder``; returns its size in bytes."""
    model.save_pretrained(folder, safe_serialization=True)
    make_private(folder)  # peft writes with the umask's modes
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def merged(model: Any) -> Any:
    """The plain transformers model with the adapters folded into its weights."""
    return model.merge_and_unload()
