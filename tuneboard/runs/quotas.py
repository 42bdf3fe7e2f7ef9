"""Per-person limits of a shared server: runs waiting in the queue, disk used by runs, uploads.

They keep one person from filling the queue or the disk for the whole team. Each is a setting read from
the environment (0 turns it off) and each refusal is one line that says what to do. They apply to every
person alike, admins included: they are about sharing the machine, not about permissions.
"""
from __future__ import annotations

from pathlib import Path

from tuneboard.errors import LimitReached
from tuneboard.i18n import t
from tuneboard.runs.store import RunStore
from tuneboard.server_settings import server_settings
from tuneboard.team.access import User, run_owner

GB = 1024**3
MB = 1024**2


def max_queued() -> int:
    """Runs one person may have waiting (``TUNEBOARD_MAX_QUEUED``, default 3; 0 = no limit)."""
    return server_settings().max_queued


def disk_limit_bytes() -> int:
    """Disk one person's run folders may use (``TUNEBOARD_USER_DISK_GB``, default 100; 0 = no limit)."""
    return int(server_settings().user_disk_gb * GB)


def upload_limit_bytes() -> int:
    """Bytes of uploads one person may keep (``TUNEBOARD_USER_UPLOAD_MB``, default 2048; 0 = no limit)."""
    return int(server_settings().user_upload_mb * MB)


def check_queue(store: RunStore, user: User) -> None:
    """Refuse a new run when ``user`` already has ``max_queued()`` runs waiting."""
    limit = max_queued()
    waiting = len(store.queued(owner=user.id))
    if limit and waiting >= limit:
        raise LimitReached(t("engine.err.quota.queue", waiting=waiting))


def disk_used(user: User, root: Path | None = None) -> int:
    """Bytes taken by the run folders ``user`` owns under the runs root."""
    from tuneboard.runs.folder import list_runs

    total = 0
    for run in list_runs(root):
        if run_owner(run.path) == user.id:
            total += sum(p.stat().st_size for p in run.path.rglob("*") if p.is_file() and not p.is_symlink())
    return total


def check_disk(user: User, root: Path | None = None) -> None:
    """Refuse a new run when ``user``'s runs already use their share of the disk."""
    limit = disk_limit_bytes()
    if not limit:
        return
    used = disk_used(user, root)
    if used >= limit:
        raise LimitReached(t("engine.err.quota.disk", used=used / GB, limit=limit / GB))


def upload_allowance(store: RunStore, user: User) -> int | None:
    """Bytes ``user`` may still upload (None: no limit)."""
    limit = upload_limit_bytes()
    return None if not limit else max(0, limit - store.upload_bytes(user.id))


def upload_refusal(size: int, allowance: int) -> LimitReached:
    """The one-line refusal of an upload of ``size`` bytes when only ``allowance`` are left."""
    return LimitReached(t("engine.err.quota.upload", size=size / MB, left=allowance / MB,
                          limit=upload_limit_bytes() / MB))
