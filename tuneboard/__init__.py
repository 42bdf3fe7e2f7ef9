"""Tuneboard's headless engine: fine-tune a pretrained transformer on a labeled table.

Importing the package is cheap on purpose (no torch, no transformers): the app's first page must be
interactive within seconds, and heavy modules are imported by the functions that need them.
"""
import os as _os

# The one import-time setting, and why: with OpenMP's default (active, spinning) wait policy, torch's
# worker threads fight any other busy thread for the cores -- the Streamlit server, a browser, a
# second process -- and a training step on a 2-core machine was measured 60x slower (1.1 s instead
# of 18 ms). Passive waiting removes that cliff. It must be set before torch is first imported;
# a value the user set wins. See bench/RESULTS.md.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"

# The rooms of the engine and, for each, the rooms it may import (the shared words at the top -- errors, i18n,
# files, paths, protocol, settings, config, classnames -- are everyone's). Lowest first: a room never imports
# one below it in this list that is not named here, so the folders stack without a cycle. The UI (app.py,
# app_pages/, components/) imports the shared words and each room's front door (``tuneboard.<room>``), never a
# room's module. tests/unit/test_layers.py holds the code to this table.
ROOMS: dict[str, tuple[str, ...]] = {
    "team": (),
    "model": ("team",),
    "data": ("model",),  # data checks measure how a model's tokenizer reads the texts
    "predict": ("model", "data"),
    "runs": ("team", "data", "predict"),
    "labeling": ("team", "model", "data", "predict", "runs"),  # labels people (and models, an LLM) give a table
    "registry": ("team", "runs"),  # named models: which run is in production, which is the candidate
    "serve": ("team", "model", "predict", "runs", "registry"),  # registry: serving follows a model's name
    "train": ("team", "model", "data", "predict", "runs", "serve"),  # serve: distillation measures int8 ONNX
    "evaluate": ("team", "model", "data", "predict", "runs", "serve"),
    "search": ("team", "data", "predict", "runs", "train"),
    "lifecycle": ("team", "model", "data", "predict", "runs", "labeling", "registry", "serve", "train", "evaluate"),
    "cli": ("team", "model", "data", "predict", "runs", "labeling", "registry", "serve", "train", "evaluate", "search",
            "lifecycle"),
}
