"""Uploaded files: written once to the uploads folder, counted against their uploader's allowance.

Files land in ``<uploads>/<sha256[:12]>/<name>`` (``paths.workspace().uploads``), so the engine reads them like any
other file and a re-upload of the same bytes reuses the same file. Each upload is recorded with its uploader
(``RunStore.record_upload``), and a person's uploads together stay under ``quotas.upload_limit_bytes()``: the app
and the CLI refuse the same upload with the same line.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, BinaryIO

from tuneboard.files import atomic_path
from tuneboard.paths import workspace
from tuneboard.runs import quotas
from tuneboard.runs.store import RunStore
from tuneboard.team.access import User

CHUNK = 4 * 1024 * 1024


def keep_upload(source: BinaryIO, name: str, user: User, size: int = 0) -> dict[str, Any]:
    """Write ``source`` (read from its start) to the uploads folder as ``user``'s and return ``{path, name, sha}``.

    Raises ``LimitReached`` (one line) when it would pass ``user``'s upload limit; the file is then removed
    unless someone else uploaded the same bytes."""
    digest = hashlib.sha256()
    source.seek(0)
    while chunk := source.read(CHUNK):  # an upload is already in memory: hashing it first is cheap
        digest.update(chunk)
    sha = digest.hexdigest()
    # One folder per content hash keeps the user's own file name, so messages and run names say
    # "tickets.csv", not "3f2a...-tickets.csv".
    path = workspace().uploads / sha[:12] / safe_name(name)
    with atomic_path(path, size) as tmp, open(tmp, "wb") as out:
        source.seek(0)
        while chunk := source.read(CHUNK):  # stream: a 500 MB upload is never copied whole
            out.write(chunk)
    count_upload(user, path, sha)
    return {"path": str(path), "name": name, "sha": sha}


def count_upload(user: User, path: str | Path, sha: str, store: RunStore | None = None) -> None:
    """Record the file at ``path`` (its bytes hash to ``sha``) as ``user``'s upload, or refuse it with
    ``LimitReached`` and delete it (unless someone else has it too). The same bytes again count once."""
    store, path = store or RunStore(), Path(path)
    size = path.stat().st_size
    allowance = quotas.upload_allowance(store, user)
    if allowance is not None and not store.has_upload(sha, user.id) and size > allowance:
        if not store.has_upload(sha):
            path.unlink(missing_ok=True)
        raise quotas.upload_refusal(size, allowance)
    store.record_upload(sha, user.id, path, size)


def safe_name(name: str) -> str:
    """A file name that is safe in the uploads folder and still reads as the user's own."""
    stem = re.sub(r"[^\w.-]+", "-", Path(name).name, flags=re.UNICODE).strip("-.")
    return stem[-80:] or "upload.csv"
