"""Reading tables: CSV/TSV in any encoding, Excel, JSON / JSON Lines, Parquet, into frames of text cells.

``read_table`` is the entry point; the rest is public for the few callers that need a piece of it.
Modules, lowest first (each imports only those above it): ``common`` (``TableInfo``, limits, header
detection, size checks), ``text`` (encodings, delimiters, CSV), ``formats`` (Excel, JSON, Parquet),
``table`` (``read_table``: file checks, format dispatch, clean-up).
"""
from __future__ import annotations

from .common import (
                     DEFAULT_MAX_BYTES,
                     EXCEL_SUFFIXES,
                     JSON_SUFFIXES,
                     MAX_CELL_CHARS,
                     PARQUET_SUFFIXES,
                     TEXT_SUFFIXES,
                     TableInfo,
                     apply_header,
                     cell_text,
                     check_decoded_size,
                     first_line,
)
from .table import read_table
from .text import DELIMITERS, decode_bytes, detect_encoding, sniff_delimiter

__all__ = ["DEFAULT_MAX_BYTES", "DELIMITERS", "EXCEL_SUFFIXES", "JSON_SUFFIXES", "MAX_CELL_CHARS", "PARQUET_SUFFIXES",
           "TEXT_SUFFIXES", "TableInfo", "apply_header", "cell_text", "check_decoded_size", "decode_bytes",
           "detect_encoding", "first_line", "read_table", "sniff_delimiter"]
