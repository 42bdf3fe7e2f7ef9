"""Read a table from disk, whatever its format and encoding, into a pandas DataFrame.

``read_table`` is the one entry point. It returns the frame plus what it found (format, encoding,
delimiter, header), so the UI and ``inspect`` can show it and the user can override it.
Every cell comes back as text (or missing), so a label ``1`` reads the same from CSV, Excel or JSON.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import DataError
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

# File signatures of things people rename to .csv by mistake.
_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "a gzip archive"),
          (b"PAR1", "a Parquet file"), (b"\xd0\xcf\x11\xe0", "an old Excel/Office (.xls/.doc) file"),
          (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"), (b"\x7fELF", "a program"))


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
        raise DataError(f"'{p.name}' cannot be read: permission denied. Check the file's permissions.") from None
    except (ValueError, pd.errors.ParserError, UnicodeError, OSError) as e:
        raise _parse_error(p, e) from None
    info.size_bytes = size
    df = _clean_frame(df)
    if df.empty:
        raise DataError(f"'{p.name}' has a header but no data rows. Add labeled examples and try again.")
    check_decoded_size(df, p.name, max_bytes)  # on the text itself: compression can hide a huge cell
    return df, info


def _check_path(p: Path, max_bytes: int) -> int:
    if not p.exists():
        raise DataError(f"File not found: '{p}'. Check the path, or upload the file again.")
    if p.is_dir():
        raise DataError(f"'{p}' is a folder, not a file. Pick the data file inside it.")
    size = p.stat().st_size
    if size == 0:
        raise DataError(f"'{p.name}' is empty (0 bytes). Export the table again and check that it has rows.")
    if size > max_bytes:
        raise DataError(f"'{p.name}' is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.1f} MB limit. "
                        "Split the file or raise the limit.")
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
            raise DataError(f"'{p.name}' is {what}, not a table, although its name ends in '{suffix}'. "
                            "Upload the CSV, Excel, JSON or Parquet file itself.")
    return "json" if suffix in JSON_SUFFIXES else "delimited"


def _clean_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Strip BOMs and spaces from column names, refuse duplicates, drop empty rows and unnamed empty columns."""
    names = [str(c).replace("\ufeff", "").strip() or f"column_{i + 1}" for i, c in enumerate(df.columns)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"Column name(s) {', '.join(repr(d) for d in dupes)} appear more than once. "
                        "Rename the duplicate columns so each name is unique.")
    df = df.astype("str")  # one dtype whatever the format (missing cells stay missing)
    df.columns = names
    empty_unnamed = [c for c in names if re.fullmatch(r"column_\d+", c) and df[c].isna().all()]
    if empty_unnamed and len(empty_unnamed) < len(names):
        df = df.drop(columns=empty_unnamed)  # trailing delimiters and formatted-but-empty Excel columns
    return df.dropna(how="all").reset_index(drop=True)


def _parse_error(p: Path, e: BaseException) -> DataError:
    msg = first_line(e)
    if isinstance(e, pd.errors.EmptyDataError):
        return DataError(f"'{p.name}' holds no table (only blank lines or spaces). "
                         "Export the table again and check that it has rows.")
    quote = re.search(r"EOF inside string starting at row (\d+)", msg)
    if quote:
        return DataError(f"'{p.name}' has an unbalanced quote: a field opened with \" near row {quote.group(1)} "
                         "never closes. Close the quote or remove it, then try again.")
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", msg)
    if fields:
        want, line, saw = fields.groups()
        return DataError(f"Line {line} of '{p.name}' has {saw} fields where the first row has {want}: "
                         "a delimiter inside unquoted text. Quote such fields or pick another delimiter.")
    return DataError(f"'{p.name}' could not be read as {p.suffix.lower() or 'a table'}: {msg}. "
                     "Check the file format, or save it again as UTF-8 CSV.")
