"""Uploaded files go to disk at once (``runs.keep_upload``); session state keeps only their path and hash.

The engine writes the file, records it as the uploader's and enforces the upload limit, as it does for the CLI;
this module only remembers, per browser session, which uploads were saved already.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from . import auth


def save_upload(file: Any) -> dict[str, Any] | None:
    """Write an ``UploadedFile`` to disk once (per upload) and return ``{path, name, sha}``.

    Raises ``LimitReached`` (one line) when it would pass the uploader's upload limit."""
    if file is None:
        return None
    seen = st.session_state.setdefault("_uploads", {})
    if file.file_id in seen:
        return seen[file.file_id]
    from tuneboard.runs import keep_upload

    record = keep_upload(file, file.name, auth.current_user(), getattr(file, "size", 0))
    seen[file.file_id] = record
    return record


def _count_against(user: Any, record: dict[str, Any]) -> None:
    """Record the upload as ``user``'s, or refuse it (``runs.count_upload``)."""
    from tuneboard.runs import count_upload

    count_upload(user, record["path"], record["sha"])
