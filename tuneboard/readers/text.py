"""Read a table from disk, whatever its format and encoding, into a pandas DataFrame.

``read_table`` is the one entry point. It returns the frame plus what it found (format, encoding,
delimiter, header), so the UI and ``inspect`` can show it and the user can override it.
Every cell comes back as text (or missing), so a label ``1`` reads the same from CSV, Excel or JSON.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = sorted(TEXT_SUFFIXES | EXCEL_SUFFIXES | JSON_SUFFIXES | PARQUET_SUFFIXES)
DELIMITERS = [",", ";", "\t", "|"]
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024  # 1 GiB
MAX_CELL_CHARS = 1_000_000  # a cell this long is a broken quote or a pasted file, not a training text
HEADER_HINTS = {"id", "text", "label", "labels", "message", "review", "comment", "content", "sentence", "title",
                "question", "answer", "category", "class", "intent", "tags", "tag", "target", "rating", "score"}
_CHUNK = 4 * 1024 * 1024
# File signatures of things people rename to .csv by mistake.
_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "a gzip archive"),
          (b"PAR1", "a Parquet file"), (b"\xd0\xcf\x11\xe0", "an old Excel/Office (.xls/.doc) file"),
          (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"), (b"\x7fELF", "a program"))


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


def read_table(path: str | Path, encoding: str | None = None, sheet: str | None = None,
               delimiter: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[pd.DataFrame, TableInfo]:
    """Read ``path`` into a DataFrame of strings (every cell kept as text, missing cells as NaN).

    ``encoding``, ``sheet`` and ``delimiter`` override what is detected. Raises ``DataError`` with a
    one-line message for anything that cannot be used.
    """
    p = Path(path)
    size = _check_path(p, max_bytes)
    try:
        raw = p.read_bytes() if p.suffix.lower() not in EXCEL_SUFFIXES | PARQUET_SUFFIXES else None
        fmt = _content_format(p, raw)
        from .formats import _read_excel, _read_json, _read_parquet  # they import this module's helpers

        if fmt == "excel":
            df, info = _read_excel(p, sheet)
        elif fmt == "parquet":
            df, info = _read_parquet(p)
        elif fmt == "json":
            df, info = _read_json(p, raw, encoding)
        else:
            df, info = _read_delimited(p, raw, encoding, delimiter)
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
    if size > MAX_CELL_CHARS:  # only a big file can hold a huge cell; skip the scan otherwise
        _check_cell_sizes(df, p.name)
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


def _read_delimited(p: Path, raw: bytes, encoding: str | None,
                    delimiter: str | None) -> tuple[pd.DataFrame, TableInfo]:
    enc, notes = detect_encoding(raw, encoding, p.name)
    sample = raw[:64 * 1024].decode(enc, errors="ignore").lstrip("\ufeff")
    sep = delimiter or sniff_delimiter(sample, p.suffix.lower())
    # The C parser decodes the bytes itself: the file is never held as one big Python str.
    df = pd.read_csv(io.BytesIO(raw), sep=sep, header=None, dtype=str, encoding=enc, keep_default_na=False,
                     na_values=[""], engine="c", encoding_errors="replace" if notes else "strict")
    df, has_header = _apply_header(df)
    info = TableInfo(path=str(p), format="tsv" if sep == "\t" else "csv", encoding=enc, delimiter=sep,
                     has_header=has_header, notes=notes)
    if not has_header:
        info.notes.append("The first row looks like data, not column names: columns are named column_1, column_2, ...")
    return df, info


def detect_encoding(raw: bytes, encoding: str | None, name: str) -> tuple[str, list[str]]:
    """The encoding of ``raw``: the given one, else a BOM, else UTF-8, else charset-normalizer's guess.

    Returns the encoding and notes (non-empty when undecodable bytes will be replaced).
    """
    if encoding:
        if not _decodes(raw, encoding):
            raise DataError(f"'{name}' cannot be decoded as {encoding}. "
                            "Leave the encoding on automatic or pick another one.")
        return encoding, []
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                     (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            return enc, []
    head = raw[:64 * 1024]
    if b"\x00" in head:
        return _utf16_without_bom(head, name), []
    if raw.isascii() or _decodes(raw, "utf-8"):
        return "utf-8", []
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:1024 * 1024]).best()
    if best is None:
        raise DataError(f"'{name}' is not a text table (no text encoding fits). "
                        "Upload a CSV, TSV, Excel, JSONL or Parquet file.")
    enc = _widen_encoding(best.encoding)
    if _decodes(raw, enc):
        return enc, []
    return enc, [f"Some bytes are not valid {enc} and were replaced by '�'. Pick the right encoding if text looks wrong."]


def _utf16_without_bom(head: bytes, name: str) -> str:
    """UTF-16 text without a BOM has a NUL in every other byte (for Latin text); anything else with
    NULs is binary. Hand-written: charset-normalizer does not guess BOM-less UTF-16 reliably."""
    even, odd = head[0::2], head[1::2]
    even_nul, odd_nul = even.count(0) / max(len(even), 1), odd.count(0) / max(len(odd), 1)
    for enc, hit, miss in (("utf-16-le", odd_nul, even_nul), ("utf-16-be", even_nul, odd_nul)):
        if hit > 0.3 and miss < 0.05:
            if _decodes(head[: len(head) // 2 * 2], enc):
                return enc
    first = head.index(b"\x00")
    line = head[:first].count(b"\n") + 1
    raise DataError(f"'{name}' contains NUL bytes (first on line {line}, byte {first}), so it is binary or damaged, not a text table. "
                    "Export it again as UTF-8 CSV.")


def _decodes(raw: bytes, enc: str) -> bool:
    """Whether all of ``raw`` decodes strictly, checked in chunks to keep memory flat."""
    try:
        dec = codecs.getincrementaldecoder(enc)(errors="strict")
    except LookupError:
        raise DataError(f"'{enc}' is not a known encoding. Use a name like utf-8, gb18030, big5, utf-16 or latin-1.") from None
    view = memoryview(raw)
    try:
        for i in range(0, len(view), _CHUNK):
            dec.decode(view[i:i + _CHUNK])
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def decode_bytes(raw: bytes, encoding: str | None, name: str) -> tuple[str, str]:
    """Decode file bytes to text with ``detect_encoding``'s choice."""
    enc, notes = detect_encoding(raw, encoding, name)
    return raw.decode(enc, errors="replace" if notes else "strict").lstrip("\ufeff"), enc


def _widen_encoding(enc: str) -> str:
    # GB2312/GBK guesses on a sample can fail later in the file; GB18030 is their superset.
    return {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "ascii": "utf-8"}.get(enc.lower(), enc)


def sniff_delimiter(sample: str, suffix: str = ".csv") -> str:
    """The delimiter among , ; TAB | that splits the first lines most consistently."""
    if suffix in (".tsv", ".tab"):
        return "\t"
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
        if found in DELIMITERS:
            return found
    except csv.Error:
        pass
    # Fallback: the delimiter that appears the same number of times on most lines.
    def consistency(d: str) -> float:
        counts = [ln.count(d) for ln in lines]
        return max((counts.count(c) for c in set(counts) if c), default=0) + 0.001 * sum(counts)
    best = max(DELIMITERS, key=consistency)
    return best if consistency(best) >= 1 else ","


def _apply_header(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
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


def _check_cell_sizes(df: pd.DataFrame, name: str) -> None:
    for col in df.columns:
        lengths = df[col].str.len()
        if lengths.max() > MAX_CELL_CHARS:
            row = int(lengths.idxmax()) + 1
            raise DataError(f"Row {row} of column '{col}' in '{name}' holds {int(lengths.max()):,} characters "
                            f"(limit {MAX_CELL_CHARS:,}): usually an unbalanced quote or a pasted file. "
                            "Fix or shorten that cell.")


def _parse_error(p: Path, e: BaseException) -> DataError:
    msg = _first_line(e)
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


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:200] if text else type(e).__name__
