"""Hyperparameter search: Optuna studies of normal runs, and their records.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``records``, ``study``.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Budget": "study",
    "StudyRecord": "records",
    "best_runs": "records",
    "list_studies": "records",
    "load_study": "records",
    "resume_search": "study",
    "run_search": "study",
    "start_search": "study",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
