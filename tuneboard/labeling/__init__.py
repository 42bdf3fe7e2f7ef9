"""Labels made in Tuneboard: the label store (who, when, source, previous value), active learning, zero-shot
guesses, few-shot hints, LLM pre-labels, agreement between people.

The front door: other folders and the UI import these names from here (each is loaded when first used).
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "agreement": "llmrun",
    "apply_llm_labels": "llmrun",
    "cached_embeddings": "embeddings",
    "COLOURS": "store",
    "Conflict": "consensus",
    "conflicts": "consensus",
    "curve_verdict": "active",
    "embed_table": "embeddings",
    "export_labels": "transfer",
    "import_labels": "transfer",
    "kappa": "consensus",
    "LabelClass": "store",
    "LabelEvent": "store",
    "labels_db": "store",
    "LabelStore": "store",
    "learning_curve": "active",
    "LLM_BASELINE_FILE": "llmbaseline",
    "llm_defaults": "llm",
    "LLMJob": "llmrun",
    "LLMResult": "llm",
    "LLMSettings": "llm",
    "measure_llm_baseline": "llmbaseline",
    "pick_examples": "llmprompt",
    "read_llm_baseline": "llmbaseline",
    "require_llm": "llm",
    "runs_on": "transfer",
    "SOURCES": "store",
    "start_llm_labels": "llmrun",
    "STRATEGIES": "active",
    "suggest": "active",
    "Suggestion": "active",
    "summarize": "llmrun",
    "table_sha": "store",
    "TABLE_SOURCE": "transfer",
    "training_table": "transfer",
})
