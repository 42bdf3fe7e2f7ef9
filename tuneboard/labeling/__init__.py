"""Labels made in Tuneboard: the label store (who, when, source, previous value), active learning, zero-shot
guesses, few-shot hints, LLM pre-labels, agreement between people.

The front door: other folders and the UI import these names from here (each is loaded when first used).
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "COLOURS": "store",
    "Conflict": "agreement",
    "LabelClass": "store",
    "LabelEvent": "store",
    "LabelStore": "store",
    "SOURCES": "store",
    "STRATEGIES": "active",
    "Suggestion": "active",
    "TABLE_SOURCE": "transfer",
    "cached_embeddings": "embeddings",
    "conflicts": "agreement",
    "curve_verdict": "active",
    "embed_table": "embeddings",
    "export_labels": "transfer",
    "import_labels": "transfer",
    "kappa": "agreement",
    "labels_db": "store",
    "runs_on": "transfer",
    "learning_curve": "active",
    "suggest": "active",
    "table_sha": "store",
    "training_table": "transfer",
})
