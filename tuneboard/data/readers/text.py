"""Delimited text tables (CSV, TSV, ...): encoding detection, decoding and delimiter sniffing.

``detect_encoding`` and ``decode_bytes`` are public because the JSON reader decodes its bytes the same way.
"""
from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from tuneboard.errors import DataError
from tuneboard.i18n import said, t

from .common import TableInfo, apply_header

DELIMITERS = [",", ";", "\t", "|"]
_CHUNK = 4 * 1024 * 1024


def read_delimited(p: Path, raw: bytes, encoding: str | None,
                   delimiter: str | None) -> tuple[pd.DataFrame, TableInfo]:
    """A CSV/TSV-like file's bytes as a frame of text cells, with the encoding, delimiter and header found."""
    enc, notes = detect_encoding(raw, encoding, p.name)
    sample = raw[:64 * 1024].decode(enc, errors="ignore").lstrip("\ufeff")
    sep = delimiter or sniff_delimiter(sample, p.suffix.lower())
    # The C parser decodes the bytes itself: the file is never held as one big Python str.
    df = pd.read_csv(io.BytesIO(raw), sep=sep, header=None, dtype=str, encoding=enc, keep_default_na=False,
                     na_values=[""], engine="c", encoding_errors="replace" if notes else "strict")
    df, has_header = apply_header(df)
    info = TableInfo(path=str(p), format="tsv" if sep == "\t" else "csv", encoding=enc, delimiter=sep,
                     has_header=has_header, notes=notes)
    if not has_header:
        info.notes.append(said("engine.note.read.no_header"))
    return df, info


def detect_encoding(raw: bytes, encoding: str | None, name: str) -> tuple[str, list[str]]:
    """The encoding of ``raw``: the given one, else a BOM, else UTF-8, else charset-normalizer's guess.

    Returns the encoding and notes (non-empty when undecodable bytes will be replaced).
    """
    if encoding:
        if not _decodes(raw, encoding):
            raise DataError(t("engine.err.read.cannot_decode", name=name, encoding=encoding))
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
        raise DataError(t("engine.err.read.not_text", name=name))
    enc = _widen_encoding(best.encoding)
    if _decodes(raw, enc):
        return enc, []
    return enc, [said("engine.note.read.replaced_bytes", encoding=enc)]


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
    raise DataError(t("engine.err.read.nul_bytes", name=name, line=line, byte=first))


def _decodes(raw: bytes, enc: str) -> bool:
    """Whether all of ``raw`` decodes strictly, checked in chunks to keep memory flat."""
    try:
        dec = codecs.getincrementaldecoder(enc)(errors="strict")
    except LookupError:
        raise DataError(t("engine.err.read.unknown_encoding", encoding=enc)) from None
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
