"""Every table the app shows goes through here, because Streamlit's own table toolbar offers the table as a
CSV download that nothing can hook: a text an API client or a data file held (``=HYPERLINK(...)``) would
come out as a live spreadsheet formula. So the cells are made inert before they are drawn, the way our own
CSV downloads are (``tuneboard.files.safe_csv_frame``: a ``'`` before a text that starts with ``= + - @``,
tab or CR; numbers stay numbers). tests/unit/test_tables.py checks that no page calls ``st.dataframe`` or
``st.data_editor`` itself.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
from pandas.api.types import is_numeric_dtype

from tuneboard.files import escape_cell, safe_csv_frame


def inert(data: Any) -> Any:
    """``data`` (a DataFrame, a Series, or what ``pd.DataFrame`` takes) with every text cell, column name and
    index value that could start a formula escaped."""
    if isinstance(data, pd.Series):
        out = data.astype(object).map(escape_cell) if not is_numeric_dtype(data) else data.copy()
        out.name = escape_cell(data.name)
    else:
        out = safe_csv_frame(data if isinstance(data, pd.DataFrame) else pd.DataFrame(data))
    if not is_numeric_dtype(out.index):
        out.index = out.index.map(escape_cell)
    return out


# what an empty cell shows: Streamlit's default is the word "None", which reads as data (and as English)
EMPTY = "—"


def show_table(data: Any, where: Any = None, **kwargs: Any) -> Any:
    """``st.dataframe`` (or ``where.dataframe``, e.g. a column) of ``data`` made inert; same arguments, same result."""
    return (where or st).dataframe(inert(data), **{"placeholder": EMPTY, **kwargs})


def edit_table(data: pd.DataFrame, where: Any = None, **kwargs: Any) -> pd.DataFrame:
    """``st.data_editor`` of ``data`` made inert. The edited frame comes back with the original values in
    every cell the person left as shown (a text keeps no added ``'``: edits are matched by their text)."""
    shown = inert(data)
    edited = (where or st).data_editor(shown, **{"placeholder": EMPTY, **kwargs})
    out = edited.copy()
    for i in range(data.shape[1]):  # by position: names and index values may have been escaped
        if is_numeric_dtype(data.iloc[:, i]):
            continue
        original = data.iloc[:, i].astype(object).to_numpy()
        before = shown.iloc[:, i].to_numpy()
        column = out.iloc[:, i].astype(object).to_numpy().copy()
        untouched = np.array([isinstance(b, str) and b != o and c == b
                              for c, b, o in zip(column, before, original, strict=True)],
                             dtype=bool)
        column[untouched] = original[untouched]
        out.isetitem(i, column)
    out.columns, out.index = data.columns, data.index
    return out
