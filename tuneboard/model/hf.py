"""transformers and torch, imported safely beside other threads.

transformers resolves its classes lazily (``transformers.AutoTokenizer`` imports its module on first use).
Two threads doing that at once — the app warming the imports in the background while a page loads a model,
or a run training while Predict loads another — can meet a half-imported module and fail with "cannot
import name ...". Every use in the engine goes through ``names`` (and the app's warm-up through ``warm``),
which take the same lock; once a name is resolved the lock is held for microseconds.
"""
from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


class _Gate:
    """Readers (the app's page scripts) run together; the one writer (the process's first import of torch)
    runs alone, and once it waits no new reader starts (else a busy page would starve it).

    Why: scipy, which scikit-learn calls while a page splits or checks a table, looks ``torch`` up in
    ``sys.modules`` without importing it. Met half-imported by another thread, it fails with "partially
    initialized module 'torch' has no attribute 'Tensor'" (seen on a restarted server: the first page ran
    while the device probe imported torch)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False  # waiting or writing

    @contextmanager
    def reading(self, timeout: float = 120.0) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writer, timeout)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self, timeout: float = 60.0) -> Iterator[None]:
        with self._cond:
            self._writer = True
            self._cond.wait_for(lambda: self._readers == 0, timeout)  # a page stuck for a minute: go on anyway
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_GATE = _Gate()


def torch_ready() -> bool:
    """Whether torch is imported completely in this process."""
    module = sys.modules.get("torch")
    return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)


def import_torch() -> None:
    """Import torch now if it is not yet, with no page script running meanwhile (see ``_Gate``)."""
    if torch_ready():
        return
    with _GATE.writing():
        import torch  # noqa: F401


@contextmanager
def page_run() -> Iterator[None]:
    """Around a page script: it never runs while torch is being imported for the first time."""
    if torch_ready():
        yield
        return
    with _GATE.reading():
        yield
