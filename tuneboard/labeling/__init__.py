"""Labels made in Tuneboard: the label store (who, when, source, previous value), active learning, zero-shot
guesses, few-shot hints, LLM pre-labels, agreement between people.

The front door: other folders and the UI import these names from here (each is loaded when first used).
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "STRATEGIES": "active",
    "Suggestion": "active",
    "cached_embeddings": "embeddings",
    "curve_verdict": "active",
    "embed_table": "embeddings",
    "learning_curve": "active",
    "suggest": "active",
})
