"""Read a table from disk, whatever its format and encoding, into a pandas DataFrame.

``read_table`` is the one entry point. It returns the frame plus what it found (format, encoding,
delimiter, header), so the UI and ``inspect`` can show it and the user can override it.
Every cell comes back as text (or missing), so a label ``1`` reads the same from CSV, Excel or JSON.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from tuneboard.errors import DataError
from tuneboard.i18n import t

from .common import (
    DEFAULT_MAX_BYTES,
    EXCEL_SUFFIXES,
    JSON_SUFFIXES,
    PARQUET_SUFFIXES,
    TableInfo,
    check_decoded_size,
    first_line,
)
from .formats import read_excel, read_json, read_parquet
from .text import read_delimited

# File signatures of things people rename to .csv by mistake; the names are keys engine.read.magic.<name>.
_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"%PDF", "pdf"), (b"PK\x03\x04", "zip"),
          (b"\x1f\x8b", "gzip"), (b"PAR1", "parquet"), (b"\xd0\xcf\x11\xe0", "office"), (b"7z\xbc\xaf", "7z"),
          (b"Rar!", "rar"), (b"\x7fELF", "elf"))


def read_table(path: str | Path, encoding: str | None = None, sheet: str | None = None,
               delimiter: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[pd.DataFrame, TableInfo]:
    """Read ``path`` into a DataFrame of strings (every cell kept as text, missing cells as NaN).

    ``encoding``, ``sheet`` and ``delimiter`` override what is detected. ``max_bytes`` limits the file's
    size and its decoded text alike (no cell may exceed ``MAX_CELL_CHARS``). Raises ``DataError`` with a
    one-line message for anything that cannot be used.
    """
    p = Path(path)
    size = _check_path(p, max_bytes)
    try:
        raw = p.read_bytes() if p.suffix.lower() not in EXCEL_SUFFIXES | PARQUET_SUFFIXES else None
        fmt = _content_format(p, raw)
        if fmt == "excel":
            df, info = read_excel(p, sheet, max_bytes)
        elif fmt == "parquet":
            df, info = read_parquet(p, max_bytes)
        elif fmt == "json":
            df, info = read_json(p, raw, encoding)
        else:
            df, info = read_delimited(p, raw, encoding, delimiter)
    except DataError:
        raise
    except PermissionError:
        raise DataError(t("engine.err.read.permission", name=p.name)) from None
    except (ValueError, pd.errors.ParserError, UnicodeError, OSError) as e:
        raise _parse_error(p, e) from None
    info.size_bytes = size
    df = _clean_frame(df)
    if df.empty:
        raise DataError(t("engine.err.read.no_rows", name=p.name))
    check_decoded_size(df, p.name, max_bytes)  # on the text itself: compression can hide a huge cell
    return df, info


def _check_path(p: Path, max_bytes: int) -> int:
    if not p.exists():
        raise DataError(t("engine.err.read.not_found", path=p))
    if p.is_dir():
        raise DataError(t("engine.err.read.is_folder", path=p))
    size = p.stat().st_size
    if size == 0:
        raise DataError(t("engine.err.read.empty_file", name=p.name))
    if size > max_bytes:
        raise DataError(t("engine.err.read.too_big", name=p.name, mb=size / 2**20, limit=max_bytes / 2**20))
    return size


def _content_format(p: Path, raw: bytes | None) -> str:
    """The reader to use: by suffix, unless the bytes say the file is something else."""
    suffix = p.suffix.lower()
    if raw is None:
        return "excel" if suffix in EXCEL_SUFFIXES else "parquet"
    head = raw[:4096]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            if magic == b"PK\x03\x04" and b"xl/" in raw[:65536]:
                return "excel"  # an .xlsx saved under a text name still reads fine
            if magic == b"PAR1":
                return "parquet"
            raise DataError(t("engine.err.read.not_a_table", name=p.name, suffix=suffix,
                              what=t(f"engine.read.magic.{what}")))
    return "json" if suffix in JSON_SUFFIXES else "delimited"


def _clean_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Strip BOMs and spaces from column names, refuse duplicates, drop empty rows and unnamed empty columns."""
    names = [str(c).replace("\ufeff", "").strip() or f"column_{i + 1}" for i, c in enumerate(df.columns)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(t("engine.err.read.duplicate_columns", names=", ".join(repr(d) for d in dupes)))
    df = df.astype("str")  # one dtype whatever the format (missing cells stay missing)
    df.columns = names
    empty_unnamed = [c for c in names if re.fullmatch(r"column_\d+", c) and df[c].isna().all()]
    if empty_unnamed and len(empty_unnamed) < len(names):
        df = df.drop(columns=empty_unnamed)  # trailing delimiters and formatted-but-empty Excel columns
    return df.dropna(how="all").reset_index(drop=True)


def _parse_error(p: Path, e: BaseException) -> DataError:
    msg = first_line(e)
    if isinstance(e, pd.errors.EmptyDataError):
        return DataError(t("engine.err.read.no_table", name=p.name))
    quote = re.search(r"EOF inside string starting at row (\d+)", msg)
    if quote:
        return DataError(t("engine.err.read.unbalanced_quote", name=p.name, row=quote.group(1)))
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
    if fields:
        want, line, saw = fields.groups()
        return DataError(t("engine.err.read.field_count", line=line, name=p.name, saw=saw, want=want))
    return DataError(t("engine.err.read.unreadable", name=p.name, fmt=p.suffix.lower() or t("engine.read.a_table"),
                       reason=msg))
