"""transformers, reached through one lock per process.

transformers resolves its classes lazily (``transformers.AutoTokenizer`` imports its module on first use).
Two threads doing that at once — the app warming the imports in the background while a page loads a model,
or a run training while Predict loads another — can meet a half-imported module and fail with "cannot
import name ...". Every use in the engine goes through ``names`` (and the app's warm-up through ``warm``),
which take the same lock; once a name is resolved the lock is held for microseconds.
"""
from __future__ import annotations

import importlib
import threading
from typing import Any

_LOCK = threading.RLock()


def names(*wanted: str) -> Any:
    """``transformers.<name>`` for each name (the value itself for one name, a tuple for several)."""
    with _LOCK:
        import transformers

        values = tuple(getattr(transformers, name) for name in wanted)
    return values[0] if len(values) == 1 else values


def warm(*modules: str) -> None:
    """Import ``modules`` (transformers' or ones that import it) under the same lock; a failure is left to
    the code that needs the module, which reports it in words."""
    with _LOCK:
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 -- warming is an optimisation, never an error
                pass
