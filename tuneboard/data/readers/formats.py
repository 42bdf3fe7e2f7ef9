"""Readers for the non-delimited formats: Excel workbooks, JSON / JSON Lines, Parquet.

``table.read_table`` dispatches here. The two compressed formats (xlsx is a zip, Parquet pages are
compressed) are refused before decompressing when their own metadata declares more than the limit.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from tuneboard.errors import DataError
from tuneboard.i18n import said, t

from .common import EXCEL_SUFFIXES, TableInfo, apply_header, cell_text, check_expanded_size, first_line
from .text import decode_bytes


def read_excel(p: Path, sheet: str | None, max_bytes: int) -> tuple[pd.DataFrame, TableInfo]:
    """One sheet of an .xlsx/.xlsm workbook (the first unless ``sheet`` names another) as text cells."""
    if p.suffix.lower() == ".xls":
        raise DataError(t("engine.err.read.xls", name=p.name))
    from openpyxl import load_workbook

    try:
        data = p.read_bytes()  # a file object: openpyxl refuses names not ending in .xlsx
        # zipfile never inflates a member past its declared size, so the declared sizes bound the XML.
        check_expanded_size(sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(data)).infolist()), p.name, max_bytes)
        book = load_workbook(io.BytesIO(data), data_only=True)  # formulas come back as their last saved result
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except DataError:
        raise
    except Exception as e:  # openpyxl raises many types for non-Excel bytes
        raise DataError(t("engine.err.read.bad_excel", name=p.name, reason=first_line(e))) from None
    sheets = [str(s) for s in book.sheetnames]
    chosen = sheet if sheet is not None else sheets[0]
    if chosen not in sheets:
        raise DataError(t("engine.err.read.no_sheet", sheet=chosen, name=p.name, sheets=", ".join(sheets)))
    ws = book[chosen]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    info = TableInfo(path=str(p), format="excel", sheet=chosen, sheets=sheets)
    if p.suffix.lower() not in EXCEL_SUFFIXES:
        info.notes.append(said("engine.note.read.excel_despite_name", name=p.name))
    if len(sheets) > 1:
        info.notes.append(said("engine.note.read.sheet_of", sheet=chosen, count=len(sheets), sheets=", ".join(sheets)))
    info.notes += _check_formulas(formulas[chosen], rows, p.name)
    info.notes += _fill_merged(ws, rows)
    if not rows:
        raise DataError(t("engine.err.read.empty_sheet", sheet=chosen, name=p.name))
    width = max(len(r) for r in rows)
    df = pd.DataFrame([[cell_text(v) for v in r] + [None] * (width - len(r)) for r in rows], dtype=object)
    df, info.has_header = apply_header(df)
    return df, info


def _check_formulas(ws: Any, rows: list[list[Any]], name: str) -> list[str]:
    """Formulas read as their cached results; refuse formulas that were never calculated."""
    cells = [(c.coordinate, c.value) for r in ws.iter_rows() for c in r
             if isinstance(c.value, str) and c.value.startswith("=")]
    if not cells:
        return []
    missing = [(coord, f) for coord, f in cells if _value_at(rows, coord) is None]
    if missing:
        coord, formula = missing[0]
        raise DataError(t("engine.err.read.uncalculated", name=name, count=len(missing), coord=coord,
                          formula=formula[:40]))
    return [said("engine.note.read.formulas", count=len(cells))]


def _value_at(rows: list[list[Any]], coord: str) -> Any:
    from openpyxl.utils.cell import coordinate_to_tuple

    r, c = coordinate_to_tuple(coord)
    return rows[r - 1][c - 1] if r - 1 < len(rows) and c - 1 < len(rows[r - 1]) else None


def _fill_merged(ws: Any, rows: list[list[Any]]) -> list[str]:
    """A merged range shows one value across its cells; give every cell that value, as the reader sees it."""
    ranges = list(ws.merged_cells.ranges)
    for rng in ranges:
        value = rows[rng.min_row - 1][rng.min_col - 1]
        for r in range(rng.min_row - 1, min(rng.max_row, len(rows))):
            for c in range(rng.min_col - 1, min(rng.max_col, len(rows[r]))):
                rows[r][c] = value
    return [said("engine.note.read.merged", count=len(ranges))] if ranges else []


def read_json(p: Path, raw: bytes, encoding: str | None) -> tuple[pd.DataFrame, TableInfo]:
    """A JSON list of records, or JSON Lines (one object per line), as text cells."""
    text, enc = decode_bytes(raw, encoding, p.name)
    try:
        records, fmt = json.loads(text), "json"
    except json.JSONDecodeError as e:
        if not text.lstrip().startswith("{") or "Extra data" not in str(e):
            raise DataError(t("engine.err.read.bad_json", name=p.name, line=e.lineno, reason=e.msg)) from None
        records, fmt = _json_lines(text, p.name), "jsonl"
    if isinstance(records, dict):
        records = [records] if fmt == "jsonl" else records
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataError(t("engine.err.read.not_records", name=p.name))
    if not records:
        raise DataError(t("engine.err.read.empty_list", name=p.name))
    df = pd.DataFrame.from_records(records)
    info = TableInfo(path=str(p), format=fmt, encoding=enc)
    return _text_frame(df, p.name, info), info


def _json_lines(text: str, name: str) -> list[Any]:
    records = []
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise DataError(t("engine.err.read.bad_json_line", line=i, name=name, reason=e.msg)) from None
    return records


def _text_frame(df: pd.DataFrame, name: str, info: TableInfo) -> pd.DataFrame:
    """Cells to text: lists of plain values become 'a|b' tag lists, objects are refused."""
    out = {}
    for col in df.columns:
        values = df[col].tolist()
        if any(isinstance(v, dict) for v in values):
            raise DataError(t("engine.err.read.nested_column", col=col, name=name))
        if any(isinstance(v, list) for v in values):
            values = ["|".join(map(str, v)) if isinstance(v, list) else v for v in values]
            info.notes.append(said("engine.note.read.lists_joined", col=col))
        out[col] = [cell_text(v) for v in values]
    return pd.DataFrame(out, dtype=object)


def read_parquet(p: Path, max_bytes: int) -> tuple[pd.DataFrame, TableInfo]:
    """A flat Parquet table as text cells (strings kept, other values through ``cell_text``)."""
    import pyarrow.parquet as pq
    import pyarrow.types as pt

    try:
        schema, meta = pq.read_schema(p), pq.read_metadata(p)
    except Exception as e:  # pyarrow raises ArrowInvalid and OSError subclasses
        raise DataError(t("engine.err.read.bad_parquet", name=p.name, reason=first_line(e))) from None
    nested = [f.name for f in schema if pt.is_nested(f.type)]
    if nested:
        raise DataError(t("engine.err.read.nested_parquet", name=p.name, cols=", ".join(nested)))
    check_expanded_size(sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)), p.name, max_bytes)
    table = pq.read_table(p)
    df = pd.DataFrame({f.name: (table.column(f.name).to_pandas() if pt.is_string(f.type) or pt.is_large_string(f.type)
                                else table.column(f.name).to_pandas().map(cell_text, na_action="ignore"))
                       for f in schema})
    return df, TableInfo(path=str(p), format="parquet")
