"""Labels made in Tuneboard: the label store (who, when, source, previous value), active learning, zero-shot
guesses, few-shot hints, LLM pre-labels, agreement between people.

The front door: other folders and the UI import these names from here (each is loaded when first used).
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "LLMJob": "llmrun",
    "LLMResult": "llm",
    "LLMSettings": "llm",
    "LLM_BASELINE_FILE": "llmbaseline",
    "agreement": "llmrun",
    "apply_llm_labels": "llmrun",
    "llm_defaults": "llm",
    "measure_llm_baseline": "llmbaseline",
    "pick_examples": "llmprompt",
    "read_llm_baseline": "llmbaseline",
    "require_llm": "llm",
    "start_llm_labels": "llmrun",
    "summarize": "llmrun",
})
