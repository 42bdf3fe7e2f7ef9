"""Training a run: the pipeline, the loop and its steps, stopping, checkpoints, processes, the queue, tracking,
distillation.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``autobatch``, ``balance``, ``baseline_thread``, ``checkpoint``, ``distillation``,
``distributed``, ``evalsample``, ``launch``, ``loop``, ``pipeline``, ``queue``, ``steps``, ``stopping``,
``student``, ``tracking``, ``fewshot``, ``methods``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "DistillSettings": "distillation",
    "FEWSHOT_BELOW": "methods",
    "RunRegistry": "queue",
    "TRAINERS": "methods",
    "check_config": "pipeline",
    "check_resumable": "checkpoint",
    "check_teacher": "distillation",
    "checkpoint_dir": "checkpoint",
    "compare": "distillation",
    "distill": "distillation",
    "execute": "pipeline",
    "plan": "distillation",
    "read_config": "checkpoint",
    "resumable": "checkpoint",
    "student_epochs": "distillation",
    "students_of": "distillation",
    "suggested_layers": "distillation",
    "train_processes": "launch",
    "train_replica": "launch",
})
