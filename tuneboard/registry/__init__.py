"""Named models and their versions: promote a finished run to a name, aliases (production, candidate),
roll back, and who did what when. Kept in the same database as the queue.

The front door: other folders and the UI import these names from here (each is loaded when first used).
Modules: ``book`` (the tables and their rules), ``mlflow_mirror`` (the same names in MLflow).
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
    "ALIASES": "book",
    "CANARY": "book",
    "CANDIDATE": "book",
    "Event": "book",
    "Model": "book",
    "PRODUCTION": "book",
    "Registry": "book",
    "SHADOW": "book",
    "TRAFFIC": "book",
    "Version": "book",
    "check_name": "book",
    "history": "book",
    "list_models": "book",
    "promote": "book",
    "resolve": "book",
    "rollback": "book",
    "set_alias": "book",
})
