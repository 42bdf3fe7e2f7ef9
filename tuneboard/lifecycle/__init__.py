"""What happens to a finished run: renaming its classes everywhere, deleting it for good.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``classes``, ``purge``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "delete_for_good": "purge",
    "rename_classes": "classes",
    "run_classes": "classes",
})
