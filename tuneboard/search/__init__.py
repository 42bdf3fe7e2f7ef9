"""Hyperparameter search: Optuna studies of normal runs, and their records.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``records``, ``study``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "Budget": "study",
    "StudyRecord": "records",
    "best_runs": "records",
    "list_studies": "records",
    "load_study": "records",
    "resume_search": "study",
    "run_search": "study",
    "start_search": "study",
})
