"""Read a table from disk, whatever its format and encoding, into a pandas DataFrame.

``read_table`` is the one entry point. It returns the frame plus what it found (format, encoding,
delimiter, header), so the UI and ``inspect`` can show it and the user can override it.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import DataError

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = sorted(TEXT_SUFFIXES | EXCEL_SUFFIXES | JSON_SUFFIXES | PARQUET_SUFFIXES)
DELIMITERS = [",", ";", "\t", "|"]
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024  # 1 GiB


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


def read_table(path: str | Path, encoding: str | None = None, sheet: str | None = None,
               delimiter: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[pd.DataFrame, TableInfo]:
    """Read ``path`` into a DataFrame of strings (every cell kept as text, missing cells as NaN)."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"File not found: '{p}'. Check the path, or upload the file again.")
    if p.is_dir():
        raise DataError(f"'{p}' is a folder, not a file. Pick the data file inside it.")
    size = p.stat().st_size
    if size == 0:
        raise DataError(f"'{p.name}' is empty (0 bytes). Export the table again and check that it has rows.")
    if size > max_bytes:
        raise DataError(f"'{p.name}' is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit. "
                        "Split the file or raise the limit.")
    suffix = p.suffix.lower()
    try:
        if suffix in EXCEL_SUFFIXES:
            df, info = _read_excel(p, sheet)
        elif suffix in JSON_SUFFIXES:
            df, info = _read_json(p, encoding)
        elif suffix in PARQUET_SUFFIXES:
            df, info = _read_parquet(p)
        else:
            df, info = _read_delimited(p, encoding, delimiter)
    except DataError:
        raise
    except PermissionError:
        raise DataError(f"'{p.name}' cannot be read: permission denied. Check the file's permissions.") from None
    except (ValueError, pd.errors.ParserError, UnicodeError) as e:
        raise DataError(f"'{p.name}' could not be read as {suffix or 'a table'}: {_first_line(e)}. "
                        "Check the file format, or save it again as UTF-8 CSV.") from None
    df = _clean_frame(df)
    if df.empty:
        raise DataError(f"'{p.name}' has a header but no data rows. Add labeled examples and try again.")
    return df, info


def _read_delimited(p: Path, encoding: str | None, delimiter: str | None) -> tuple[pd.DataFrame, TableInfo]:
    raw = p.read_bytes()
    text, enc = decode_bytes(raw, encoding, p.name)
    sample = text[:64 * 1024]
    sep = delimiter or sniff_delimiter(sample, p.suffix.lower())
    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                     skipinitialspace=False, engine="c")
    info = TableInfo(path=str(p), format="tsv" if sep == "\t" else "csv", encoding=enc, delimiter=sep)
    return df, info


def decode_bytes(raw: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    """Decode file bytes: the given encoding, else a BOM, else UTF-8, else charset-normalizer's guess."""
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding is None:
        raise DataError(f"'{name}' contains NUL bytes: it is binary (an image, zip or spreadsheet renamed) "
                        "or UTF-16 without a byte-order mark. Save it as UTF-8 CSV.")
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as e:
            raise DataError(f"'{name}' cannot be decoded as {encoding}: {_first_line(e)}. "
                            "Leave the encoding on automatic or pick another one.") from None
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return raw.decode(enc), enc
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:2 * 1024 * 1024]).best()
    if best is None:
        raise DataError(f"'{name}' is not a text table (no text encoding fits). "
                        "Upload a CSV, TSV, Excel, JSONL or Parquet file.")
    enc = _widen_encoding(best.encoding)
    try:
        return raw.decode(enc), enc
    except UnicodeDecodeError:
        return raw.decode(enc, errors="replace"), enc


def _widen_encoding(enc: str) -> str:
    # GB2312/GBK guesses on a sample can fail later in the file; GB18030 is their superset.
    return {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "ascii": "utf-8"}.get(enc.lower(), enc)


def sniff_delimiter(sample: str, suffix: str = ".csv") -> str:
    """The delimiter among , ; TAB | that splits the first lines most consistently."""
    if suffix in (".tsv", ".tab"):
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
        counts = {d: sum(ln.count(d) for ln in lines) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_excel(p: Path, sheet: str | None) -> tuple[pd.DataFrame, TableInfo]:
    try:
        book = pd.ExcelFile(p)
    except Exception as e:  # openpyxl raises many types for non-Excel bytes
        raise DataError(f"'{p.name}' is not a readable Excel workbook ({_first_line(e)}). "
                        "Open it in Excel and save it as .xlsx, or export a CSV.") from None
    sheets = [str(s) for s in book.sheet_names]
    chosen = sheet if sheet is not None else sheets[0]
    if chosen not in sheets:
        raise DataError(f"Sheet '{chosen}' is not in '{p.name}'. Sheets: {', '.join(sheets)}.")
    df = book.parse(chosen, dtype=str)
    info = TableInfo(path=str(p), format="excel", sheet=chosen, sheets=sheets)
    if len(sheets) > 1:
        info.notes.append(f"Read sheet '{chosen}' of {len(sheets)} ({', '.join(sheets)}).")
    return df, info


def _read_json(p: Path, encoding: str | None) -> tuple[pd.DataFrame, TableInfo]:
    text, enc = decode_bytes(p.read_bytes(), encoding, p.name)
    stripped = text.lstrip()
    if stripped.startswith("["):
        df = pd.read_json(io.StringIO(text), orient="records", dtype=False)
        fmt = "json"
    elif stripped.startswith("{") and p.suffix.lower() == ".json" and "\n{" not in stripped:
        raise DataError(f"'{p.name}' is one JSON object, not a list of records. "
                        "Save it as a list like [{\"text\": ..., \"label\": ...}, ...] or as JSON Lines.")
    else:
        df = pd.read_json(io.StringIO(text), lines=True, dtype=False)
        fmt = "jsonl"
    return df.astype(object).where(df.notna(), None), TableInfo(path=str(p), format=fmt, encoding=enc)


def _read_parquet(p: Path) -> tuple[pd.DataFrame, TableInfo]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p)
    except Exception as e:  # pyarrow raises ArrowInvalid and OSError subclasses
        raise DataError(f"'{p.name}' is not a readable Parquet file ({_first_line(e)}).") from None
    import pyarrow.types as pt

    nested = [f.name for f in table.schema if pt.is_nested(f.type)]
    if nested:
        raise DataError(f"'{p.name}' has nested columns ({', '.join(nested)}), which cannot be used as text or label. "
                        "Flatten them into plain text columns first.")
    return table.to_pandas(), TableInfo(path=str(p), format="parquet")


def _clean_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Strip BOMs and spaces from column names, refuse duplicates, keep cells as trimmed text."""
    names = [str(c).replace("\ufeff", "").strip() for c in df.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"Column name(s) {', '.join(repr(d) for d in dupes)} appear more than once. "
                        "Rename the duplicate columns so each name is unique.")
    df = df.copy()
    df.columns = names
    df = df.dropna(how="all")
    return df


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__
