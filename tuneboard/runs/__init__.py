"""The durable records of runs: run folders, liveness, the queue's database, results, deletion.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``folder``, ``liveness``, ``quotas``, ``results``, ``store``.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Heartbeat": "liveness",
    "METRICS_FILE": "results",
    "PREDICTIONS_FILE": "results",
    "RUNNING_NOW": "store",
    "RunDir": "folder",
    "RunStore": "store",
    "Worker": "liveness",
    "alive": "liveness",
    "beat": "liveness",
    "check_deletable": "folder",
    "create_run": "folder",
    "delete_run": "folder",
    "end_with_parent": "liveness",
    "is_run_id": "folder",
    "list_runs": "folder",
    "open_run": "folder",
    "parent_env": "liveness",
    "row_working": "store",
    "run_by_id": "folder",
    "run_metrics": "results",
    "runs_root": "folder",
    "save_results": "results",
    "stale_s": "liveness",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
