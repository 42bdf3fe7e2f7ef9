"""A trained model answering: metrics, batching, the TF-IDF model, the predictor, explanations.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``baseline``, ``batching``, ``explanations``, ``inference``, ``metrics``,
``token_cache``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "BASELINE_FILE": "baseline",
    "BaselineResult": "baseline",
    "CACHE_KEYS_FILE": "token_cache",
    "Encoded": "batching",
    "LEGACY_FILE": "baseline",
    "Predictor": "inference",
    "batched_logits": "inference",
    "cache_entries_used": "token_cache",
    "collate": "batching",
    "compute_metrics": "metrics",
    "encode": "batching",
    "encode_cached": "batching",
    "explain": "explanations",
    "fit_baseline": "baseline",
    "fit_on_split": "baseline",
    "highlight_html": "explanations",
    "inference_batch_size": "inference",
    "is_baseline_folder": "baseline",
    "is_better": "metrics",
    "length_batches": "batching",
    "main_metric": "metrics",
    "pad_arrays": "batching",
    "record_cache_use": "token_cache",
    "task_from_problem_type": "inference",
    "threshold_table": "metrics",
    "to_scores": "inference",
    "token_cache_dir": "token_cache",
})
