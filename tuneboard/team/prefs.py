"""A person's remembered choices (language, the data they picked): one small JSON file per person.

The app asks for them when a session starts, so a refresh, a second tab or a server restart shows what
the person chose last, not the defaults. On a single-user server the person is ``local``; in team mode
each person has their own file, so nobody sees another's choices. Files are written atomically, under
the folder's lock (two tabs saving at once keep both keys), and readable by the server's user only.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tuneboard.files import read_json, update_json


def prefs_dir() -> Path:
    """Beside the runs folder: ``<runs>/../prefs``."""
    from tuneboard.paths import workspace

    return workspace().prefs


def prefs_file(user_id: str) -> Path:
    """The file of ``user_id`` (any string: e-mail addresses, issuer-qualified ids) under ``prefs_dir()``."""
    safe = re.sub(r"[^A-Za-z0-9_.@-]", "_", user_id)[:120].strip(".") or "local"
    return prefs_dir() / f"{safe}.json"


def load_prefs(user_id: str) -> dict[str, Any]:
    """Everything remembered for ``user_id`` ({} when nothing is, or the file cannot be read)."""
    try:
        data = read_json(prefs_file(user_id))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_prefs(user_id: str, **values: Any) -> None:
    """Remember ``values`` for ``user_id`` (other keys are kept; ``None`` forgets a key)."""
    path = prefs_file(user_id)

    def change(data: dict[str, Any]) -> dict[str, Any]:
        data = data if isinstance(data, dict) else {}
        for key, value in values.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    path.parent.mkdir(parents=True, exist_ok=True)
    update_json(path, change)
    os.chmod(path, 0o600)
