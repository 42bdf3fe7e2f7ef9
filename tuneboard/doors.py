"""Front doors: each room's ``__init__`` lends the names other rooms and the UI use, loading each module only
when one of its names is first asked for, so importing a room costs nothing (the app's first page stays quick).

    __getattr__, __all__ = lend(__name__, {"read_table": "readers", ...})
"""
from __future__ import annotations

import importlib
from typing import Any, Callable


def lend(package: str, where: dict[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """The module ``__getattr__`` (PEP 562) of ``package`` that finds each name in its module
    (``where``: name -> module within the package), and ``__all__``."""

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__, sorted(where)
