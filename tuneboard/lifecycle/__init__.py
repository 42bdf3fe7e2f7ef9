"""What happens to a finished run: renaming its classes everywhere, deleting it for good, reproducing it from its
receipt, retraining it on new labels behind a gate.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``classes``, ``gate``, ``purge``, ``reproduce``,
``retrain``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "GateSettings": "gate",
    "RULES": "gate",
    "delete_for_good": "purge",
    "evaluation_files": "retrain",
    "labeled_tables": "retrain",
    "latest": "retrain",
    "maybe_retrain": "retrain",
    "new_labels": "retrain",
    "read_settings": "retrain",
    "rename_classes": "classes",
    "run_classes": "classes",
    "save_settings": "retrain",
    "start_retrain": "retrain",
    "verdict_words": "retrain",
})
