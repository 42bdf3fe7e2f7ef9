"""Tuneboard's headless engine: fine-tune a pretrained transformer on a labeled table.

Importing the package is cheap on purpose (no torch, no transformers): the app's first page must be
interactive within seconds, and heavy modules are imported by the functions that need them.
"""
__version__ = "0.1.0"
