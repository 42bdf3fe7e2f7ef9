"""Putting a model to work: exports (HF, ONNX), the prediction API and its limits, deployments, monitoring.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``api``, ``benchmark``, ``deploy``, ``export``, ``guard``, ``microbatch``,
``monitor``, ``named`` (serving follows a model's name), ``comparison`` (production against the candidate), ``onnx``,
``traffic``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "EXPORTABLE": "export",
    "OnnxPredictor": "onnx",
    "Retention": "monitor",
    "ServeLimits": "guard",
    "Comparison": "comparison",
    "add_api_key": "api",
    "add_labels": "comparison",
    "compare": "comparison",
    "disagreements": "comparison",
    "default_export_path": "export",
    "ensure_onnx": "onnx",
    "export_onnx_zip": "onnx",
    "export_paths": "export",
    "export_run": "export",
    "format_bytes": "benchmark",
    "get_deployment": "deploy",
    "measure": "benchmark",
    "named_id": "deploy",
    "onnx_folder": "onnx",
    "parity_check": "onnx",
    "read_parity": "onnx",
    "rename_labels": "monitor",
    "serve": "api",
    "served_drift": "monitor",
    "served_folder": "named",
    "validation_rows": "onnx",
})
