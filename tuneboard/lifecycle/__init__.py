"""What happens to a finished run: renaming its classes everywhere, deleting it for good.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``classes``, ``purge``.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "delete_for_good": "purge",
    "rename_classes": "classes",
    "run_classes": "classes",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
