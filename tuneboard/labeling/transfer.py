"""Labels in and out of the store: an export with provenance, an import from CSV/Parquet, and the training table
("Train on these labels") a normal run reads.

The training table's columns are ``text``, ``label`` (a class code; the run gets the names through
``TrainConfig.classes``) and ``label_source`` (``person``, ``suggestion``, ``llm``, ``imported``, or ``table`` for
a label the uploaded file already had): the model card counts its provenance shares from that column.
"""
from __future__ import annotations

import hashlib
import io
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from tuneboard.errors import DataError
from tuneboard.files import FORMULA_START, atomic_path, uploads_dir
from tuneboard.i18n import t
from tuneboard.labeling.store import LabelStore
from tuneboard.team import User

TABLE_SOURCE = "table"  # label_source of a label the uploaded table already held
EXPORT_COLUMNS = ("row", "text", "label", "code", "label_source", "labeled_by", "labeled_at", "previous", "note")


def export_labels(store: LabelStore, table: pd.DataFrame | None = None, text_column: str | None = None) -> pd.DataFrame:
    """One line per labeled row (the agreed label): its text when ``table`` and ``text_column`` are given, the class
    name and code, and where the label came from (source, who, when in UTC, what it replaced, the note)."""
    names = {c.code: c.name for c in store.classes()}
    current, latest = store.current(), {}
    for e in store.events():
        if e.label is not None and current.get(e.row) == e.label:
            latest[e.row] = e
    lines = []
    for row in sorted(current):
        e = latest.get(row)
        text = (str(table[text_column].iloc[row]) if table is not None and text_column and row < len(table) else "")
        lines.append({"row": row, "text": text, "label": names.get(current[row], current[row]), "code": current[row],
                      "label_source": e.source if e else "", "labeled_by": e.user if e else "",
                      "labeled_at": _iso(e.at) if e else "",
                      "previous": names.get(e.previous, e.previous) if e else None,
                      "note": e.note if e else ""})
    return pd.DataFrame(lines, columns=list(EXPORT_COLUMNS))


def import_labels(store: LabelStore, source: str | Path | pd.DataFrame, *, user: User) -> int:
    """Labels from a CSV or Parquet file (or a frame) with columns ``row`` and ``label`` (a class name or code),
    recorded as ``imported`` by ``user``; where the file says who made a label and how (an export's
    ``label_source``, ``labeled_by``, ``labeled_at``), the note keeps it. Returns how many labels were recorded."""
    frame = source if isinstance(source, pd.DataFrame) else _read(Path(source))
    missing = [c for c in ("row", "label") if c not in frame.columns]
    if missing:
        raise DataError(t("labeling.err.import_columns", missing=", ".join(missing),
                          columns=", ".join(map(str, frame.columns))[:200]))
    frame = frame[frame["label"].notna() & (frame["label"].astype(str).str.strip() != "")]
    rows = pd.to_numeric(frame["row"].astype(str).str.lstrip("'"), errors="coerce")
    if rows.isna().any():
        raise DataError(t("labeling.err.import_rows"))
    notes = [_provenance(line) for line in frame.to_dict("records")]
    count = 0
    for note in dict.fromkeys(notes):  # one transaction per provenance: few in practice (an export has a handful)
        items = [(int(r), _unescaped(str(label).strip()))
                 for r, label, n in zip(rows, frame["label"], notes, strict=True) if n == note]
        count += store.record_many(items, user=user, source="imported", note=note)
    return count


def training_table(store: LabelStore, df: pd.DataFrame, text_column: str, label_column: str | None = None) -> Path:
    """Write the labeled rows of ``df`` as a Parquet table (``text``, ``label``, ``label_source``) into the uploads
    area, atomically, and return its path. A row the store has no label for keeps the table's own label (from
    ``label_column``, when given). Raises ``DataError`` when fewer than two classes have labels."""
    current, sources = store.current(), store.sources()
    texts = df[text_column].astype(str).fillna("").str.strip()
    lines = []
    own = df[label_column].astype(str).str.strip() if label_column and label_column in df.columns else None
    for row in range(len(df)):
        if row in current:
            label, source = current[row], sources.get(row, "person")
        elif own is not None and df[label_column].iloc[row] is not None and pd.notna(df[label_column].iloc[row]) \
                and own.iloc[row]:
            label, source = own.iloc[row], TABLE_SOURCE
        else:
            continue
        if texts.iloc[row]:
            lines.append((texts.iloc[row], label, source))
    out = pd.DataFrame(lines, columns=["text", "label", "label_source"])
    if out["label"].nunique() < 2:
        raise DataError(t("labeling.err.too_few_classes", labeled=len(out)))
    data = out.to_parquet(index=False)
    name = f"labels-{hashlib.sha256(data).hexdigest()[:12]}.parquet"
    path = labels_folder(store) / name
    if not path.is_file():
        with atomic_path(path, len(data)) as tmp:
            tmp.write_bytes(data)
    return path


def labels_folder(store: LabelStore) -> Path:
    """Where the training tables of the store's table are written."""
    return uploads_dir() / "labels" / store.sha[:12]


def runs_on(store: LabelStore) -> list[Any]:
    """The runs trained on a training table of this store (newest last), so a rename of the label set reaches
    them too."""
    from tuneboard.runs import list_runs

    folder, out = labels_folder(store).resolve(), []
    for run in list_runs():
        try:
            data = Path(run.config().data).resolve()
        except Exception:  # noqa: BLE001 -- a torn or foreign run folder is no run of these labels
            continue
        if data.parent == folder:
            out.append(run)
    return out


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(io.BytesIO(path.read_bytes()), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise DataError(t("labeling.err.import_read", name=path.name, reason=str(e).splitlines()[0][:200])) from None


def _unescaped(cell: str) -> str:
    """A cell as it was before ``safe_csv`` guarded it against spreadsheet formulas (a leading quote)."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_START else cell


def _provenance(line: dict) -> str:
    parts = [str(line.get(k) or "").strip() for k in ("label_source", "labeled_by", "labeled_at")]
    return " · ".join(p for p in parts if p)  # kept as data: the same in every language


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, tz=timezone.utc).isoformat(timespec="seconds")
