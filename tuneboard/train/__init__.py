"""Training a run: the pipeline, the loop and its steps, stopping, checkpoints, processes, the queue, tracking,
distillation.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``autobatch``, ``balance``, ``baseline_thread``, ``checkpoint``, ``distill``,
``distributed``, ``evalsample``, ``launch``, ``loop``, ``pipeline``, ``queue``, ``steps``, ``stopping``,
``student``, ``tracking``.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "DistillSettings": "distill",
    "RunRegistry": "queue",
    "check_config": "pipeline",
    "check_resumable": "checkpoint",
    "check_teacher": "distill",
    "checkpoint_dir": "checkpoint",
    "compare": "distill",
    "distill": "distill",
    "execute": "pipeline",
    "plan": "distill",
    "read_config": "checkpoint",
    "resumable": "checkpoint",
    "student_epochs": "distill",
    "students_of": "distill",
    "suggested_layers": "distill",
    "train_processes": "launch",
    "train_replica": "launch",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
