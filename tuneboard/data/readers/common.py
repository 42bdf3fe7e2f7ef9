"""What every reader shares: ``TableInfo``, the suffixes and limits, header detection, cell text, size checks.

The lowest module of the package: it imports no other reader, so ``text``, ``formats`` and ``table``
can all use it without a cycle.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tuneboard.errors import DataError
from tuneboard.i18n import t

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024  # 1 GiB, of the file and of its decoded text alike
MAX_CELL_CHARS = 1_000_000  # a cell this long is a broken quote or a pasted file, not a training text
HEADER_HINTS = {"id", "text", "label", "labels", "message", "review", "comment", "content", "sentence", "title",
                "question", "answer", "category", "class", "intent", "tags", "tag", "target", "rating", "score"}


@dataclass
class TableInfo:
    """What ``read_table`` found out about a file."""

    path: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    has_header: bool = True
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    size_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (at most 200 characters), or its type's name."""
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__


def cell_text(v: Any) -> str | None:
    """One cell as text; integer-valued floats lose their '.0' (Excel stores every number as a float)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def check_expanded_size(expanded: int, name: str, max_bytes: int) -> None:
    """Refuse a compressed file whose content, as its own metadata declares it, is over ``max_bytes``.

    Run before decompressing, so a few-KB file that unpacks to gigabytes never reaches memory.
    """
    if expanded > max_bytes:
        raise DataError(t("engine.err.read.unpacks_over", name=name, mb=expanded / 2**20, limit=max_bytes / 2**20))


def check_decoded_size(df: pd.DataFrame, name: str, max_bytes: int) -> None:
    """Refuse a table with a cell over ``MAX_CELL_CHARS`` or over ``max_bytes`` characters of text in all.

    Checked on the decoded table, whatever the file's format or compression: a small zstd Parquet
    or a workbook of merged cells can hold far more text than its size on disk suggests. Every cell
    must already be text (``str`` dtype, missing cells missing).
    """
    total = 0
    for col in df.columns:
        lengths = df[col].str.len()
        longest = lengths.max()
        if pd.notna(longest) and longest > MAX_CELL_CHARS:
            row = int(lengths.idxmax()) + 1
            raise DataError(t("engine.err.read.cell_too_long", row=row, col=col, name=name, chars=int(longest),
                              limit=MAX_CELL_CHARS))
        total += int(lengths.sum())
    if total > max_bytes:
        raise DataError(t("engine.err.read.decoded_over", name=name, mb=total / 2**20, limit=max_bytes / 2**20))


def apply_header(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Use the first row as column names unless it looks like data; then name columns column_1..."""
    first = [None if pd.isna(v) else str(v) for v in df.iloc[0]] if len(df) else []
    has_header = _looks_like_header(first, df.iloc[1:501])
    if has_header:
        df = df.iloc[1:]
        names = [v if v is not None and v.strip() else f"column_{i + 1}" for i, v in enumerate(first)]
    else:
        names = [f"column_{i + 1}" for i in range(df.shape[1])]
    df = df.reset_index(drop=True)
    df.columns = names
    return df, has_header


def _looks_like_header(first: list[str | None], body: pd.DataFrame) -> bool:
    """Vote per column: does the first cell look like a name, or like the values below it?"""
    if body.empty or not first:
        return True
    header = data = 0
    for i, name in enumerate(first):
        col = body.iloc[:, i].dropna().astype(str)
        if name is None or not name.strip() or col.empty:
            continue
        name = name.strip()
        name_is_number = _is_number(name)
        if pd.to_numeric(col, errors="coerce").notna().mean() > 0.9:
            header, data = (header, data + 1) if name_is_number else (header + 1, data)
            continue
        median = col.str.len().median()
        if name_is_number or (col.nunique() <= len(col) / 2 and name in set(col)):
            data += 1
        elif median >= 15:  # free text: a name is much shorter than the texts under it
            header, data = (header, data + 1) if len(name) >= 0.4 * median else (header + 1, data)
        elif name.casefold() in HEADER_HINTS or col.nunique() <= len(col) / 2:
            header += 1
    return header >= data


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
