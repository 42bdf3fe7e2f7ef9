"""Uploaded files go to disk at once; session state keeps only their path and hash.

Files land in ``models/uploads/<sha256[:12]>/<name>`` (git-ignored; ``TUNEBOARD_UPLOADS_DIR``
overrides it), so the engine reads them like any other file and a re-upload of the same bytes
reuses the same file. Each upload is recorded with its uploader (``store.RunStore.record_upload``), and
a person's uploads together stay under ``quotas.upload_limit_bytes()``.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import streamlit as st

from tuneboard.files import atomic_path, uploads_dir

from . import auth

CHUNK = 4 * 1024 * 1024


def save_upload(file: Any) -> dict[str, Any] | None:
    """Write an ``UploadedFile`` to disk once (per upload) and return ``{path, name, sha}``.

    Raises ``LimitReached`` (one line) when it would pass the uploader's upload limit."""
    if file is None:
        return None
    seen = st.session_state.setdefault("_uploads", {})
    if file.file_id in seen:
        return seen[file.file_id]
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(CHUNK):  # the upload is already in memory: hashing it first is cheap
        digest.update(chunk)
    sha = digest.hexdigest()
    # One folder per content hash keeps the user's own file name, so messages and run names say
    # "tickets.csv", not "3f2a...-tickets.csv".
    path = uploads_dir() / sha[:12] / _safe_name(file.name)
    with atomic_path(path, getattr(file, "size", 0)) as tmp, open(tmp, "wb") as out:
        file.seek(0)
        while chunk := file.read(CHUNK):  # stream: a 500 MB upload is never copied whole
            out.write(chunk)
    record = {"path": str(path), "name": file.name, "sha": sha}
    _count_against(auth.current_user(), record)
    seen[file.file_id] = record
    return record


def _count_against(user: Any, record: dict[str, Any]) -> None:
    """Record the upload as ``user``'s, or refuse it (and delete it unless someone else has it too)."""
    from tuneboard.runs import RunStore, quotas

    store, path = RunStore(), Path(record["path"])
    size = path.stat().st_size
    allowance = quotas.upload_allowance(store, user)
    if allowance is not None and not store.has_upload(record["sha"], user.id) and size > allowance:
        if not store.has_upload(record["sha"]):
            path.unlink(missing_ok=True)
        raise quotas.upload_refusal(size, allowance)
    store.record_upload(record["sha"], user.id, path, size)


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.-]+", "-", Path(name).name, flags=re.UNICODE).strip("-.")
    return stem[-80:] or "upload.csv"
