"""A person's names for the label codes of a dataset, remembered for the next visit to Data and the next run.

One small JSON file per person, dataset file and label column, under ``classes_dir()``, written atomically
under the folder's lock. Per person, not beside the data: an upload is stored once by content and may be
shared by several people, and a bundled example lives in the code's own folder, so one person's naming
never changes what another's runs train on. Nobody can write another person's record: the record's file
name is derived from the signed-in person's id.
"""
from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tuneboard.classnames import Classes, check_classes
from tuneboard.errors import DataError
from tuneboard.files import read_json, update_json


def classes_dir() -> Path:
    """Beside the runs folder: ``<runs>/../classes``."""
    from tuneboard.paths import workspace

    return workspace().classes


def names_file(user_id: str, data: str | Path, label_column: str | None) -> Path:
    """The record of ``user_id``'s names for ``label_column`` of the table ``data``."""
    key = "\0".join((unicodedata.normalize("NFKC", user_id).casefold(), str(Path(data).resolve()),
                     str(label_column or "")))
    return classes_dir() / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.json"


def load_names(user_id: str, data: str | Path, label_column: str | None) -> Classes:
    """The names ``user_id`` gave (empty when none, or when the record cannot be read)."""
    try:
        record = read_json(names_file(user_id, data, label_column))
        return check_classes(record.get("classes") or ())
    except (OSError, ValueError, AttributeError, DataError):
        return ()


def save_names(user_id: str, data: str | Path, label_column: str | None, classes: Iterable[Any],
               labels: Iterable[str]) -> Classes:
    """Check and remember ``user_id``'s names for the codes ``labels`` of the table; returns them as saved.
    Only the person's own record is written: names are per person (see the module's docstring)."""
    checked = check_classes(classes, labels)
    record = {"data": str(data), "label_column": label_column, "classes": [c.to_dict() for c in checked]}
    update_json(names_file(user_id, data, label_column), lambda _old: record)
    return checked
