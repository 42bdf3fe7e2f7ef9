"""People on a shared server: who may do what, team mode and login, remembered choices, limits.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``access``, ``prefs``, ``server``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
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
})
