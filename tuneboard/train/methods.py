"""How a run trains its model (``TrainConfig.trainer``), in a module light enough for the Train page.

``finetune``: the whole model learns (the normal loop). ``fewshot``: the SetFit recipe (fewshot.py), for a
handful of labels per class. ``auto``: few-shot when some class has fewer than ``FEWSHOT_BELOW`` training labels.
A config without the key trains as ``finetune``, as every run did before.
"""
from __future__ import annotations

AUTO, FINETUNE, FEWSHOT = "auto", "finetune", "fewshot"
TRAINERS = (AUTO, FINETUNE, FEWSHOT)
# Labels per class under which ``auto`` picks few-shot: where the recipe beat fine-tuning in bench_fewshot.py.
FEWSHOT_BELOW = 64
