"""From a file to clean examples: reading tables, preparing the split, targets, data checks, slices.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``checks``, ``cjk``, ``classrecords``, ``health``, ``model_choice``,
``prepare``, ``readers``, ``slices``, ``targets``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "CJK": "cjk",
    "COVERAGE_SAMPLE": "model_choice",
    "Finding": "health",
    "HUB_MODELS": "model_choice",
    "LENGTH": "slices",
    "PreparedData": "prepare",
    "Reading": "model_choice",
    "SCRIPT": "slices",
    "TOKEN_SAMPLE": "health",
    "by_name": "slices",
    "check_config": "checks",
    "data_script": "model_choice",
    "detect_columns": "prepare",
    "display_name": "model_choice",
    "encode_targets": "targets",
    "format_report": "health",
    "health_report": "health",
    "hub_suggestions": "model_choice",
    "inspect_file": "health",
    "is_cjk_data": "cjk",
    "is_symbol": "cjk",
    "judge": "slices",
    "load_names": "classrecords",
    "prepare_data": "prepare",
    "read_table": "readers",
    "recommend_model": "model_choice",
    "regression_scaler": "targets",
    "run_reading": "model_choice",
    "save_names": "classrecords",
    "slice_rows": "slices",
    "slice_table": "slices",
    "text_pairs": "targets",
    "tokens_hold": "tokens",
    "value_name": "slices",
    "with_data_columns": "slices",
    "word_spans": "cjk",
})
