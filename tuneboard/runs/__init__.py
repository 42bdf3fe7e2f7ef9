"""The durable records of runs: run folders, liveness, the queue's database, results, deletion.

The front door: other folders and the UI import these names from here (each is loaded when first used, so importing
the folder costs nothing). Modules: ``feed``, ``folder``, ``liveness``, ``quotas``, ``results``, ``store``, ``uploads``.
"""
from __future__ import annotations

from tuneboard.doors import lend

__getattr__, __all__ = lend(__name__, {
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
    "count_upload": "uploads",
    "create_run": "folder",
    "delete_run": "folder",
    "end_with_parent": "liveness",
    "follow_run": "feed",
    "is_run_id": "folder",
    "keep_upload": "uploads",
    "list_runs": "folder",
    "open_run": "folder",
    "parent_env": "liveness",
    "row_working": "store",
    "run_by_id": "folder",
    "run_metrics": "results",
    "runs_root": "folder",
    "save_results": "results",
    "stale_s": "liveness",
})
