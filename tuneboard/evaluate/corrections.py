"""Relabel or exclude rows found in error analysis, saved as a corrected copy of the dataset.

The original file is never changed. Rows are matched by their text (after trimming), so every
copy of a duplicated text gets the same fix.
"""
from __future__ import annotations

import secrets
import time
from pathlib import Path

from tuneboard.data.readers import read_table
from tuneboard.errors import DataError
from tuneboard.files import private_dir, write_text_atomic
from tuneboard.i18n import t
from tuneboard.team.access import LOCAL, User, check


def datasets_dir() -> Path:
    from tuneboard.paths import workspace

    return workspace().datasets


def save_corrected_copy(data_path: str | Path, text_column: str, label_column: str,
                        edits: dict[str, str | None], encoding: str | None = None, *,
                        run_path: str | Path | None = None, user: User = LOCAL) -> tuple[Path, dict[str, int]]:
    """Apply ``edits`` (text -> new label, or None to exclude) and write a UTF-8 CSV copy.
    Returns the new file and counts of relabelled / excluded rows. When the edits come from a run's
    mistakes (``run_path``), only its owner or an admin may save them (``PermissionDenied``)."""
    if run_path is not None:
        check(user, "relabel", run_path)
    if not edits:
        raise DataError(t("engine.err.corrections.none"))
    df, _ = read_table(data_path, encoding=encoding)
    for col in (text_column, label_column):
        if col not in df.columns:
            raise DataError(t("engine.err.corrections.no_column", col=col, name=Path(data_path).name))
    key = df[text_column].astype(str).str.strip()
    wanted = {str(k).strip(): v for k, v in edits.items()}
    hit = key.isin(set(wanted))
    if not hit.any():
        raise DataError(t("engine.err.corrections.not_found"))
    new_labels = key.map(wanted)
    drop = hit & new_labels.isna()
    relabel = hit & new_labels.notna()
    df.loc[relabel, label_column] = new_labels[relabel]
    out = df[~drop]
    path = _new_copy_path(Path(data_path).stem)
    write_text_atomic(path, out.to_csv(index=False))
    return path, {"relabelled": int(relabel.sum()), "excluded": int(drop.sum()), "rows": len(out)}


def _new_copy_path(stem: str) -> Path:
    """A name no other copy has: two saves in the same second (two users, or a double click) must
    not overwrite each other, so the time stamp gets a random suffix and the name is reserved."""
    folder = private_dir(datasets_dir())
    while True:
        path = folder / f"{stem}-corrected-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.csv"
        try:
            path.touch(exist_ok=False)  # reserve it; the atomic write then replaces the empty file
            return path
        except FileExistsError:
            continue
