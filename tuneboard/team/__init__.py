"""People on a shared server: who may do what, team mode and login, remembered choices, limits.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``access``, ``prefs``, ``server``.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "LOCAL": "access",
    "LOCAL_ID": "access",
    "User": "access",
    "allowed": "access",
    "check": "access",
    "load_prefs": "prefs",
    "record_owner": "access",
    "require": "access",
    "run_owner": "access",
    "save_prefs": "prefs",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
