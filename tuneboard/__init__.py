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
