"""Where the model is weak: validation accuracy per slice of the data, with a confidence interval.

Slices come from every extra column of the data file with a few distinct values (source, channel,
language...), from text length (in characters, four buckets) and from the script the text is written in
(Latin, CJK, Cyrillic...). Accuracy carries a 95 % Wilson interval (SciPy's ``binomtest(...).proportion_ci``),
honest for small slices; slices are listed worst first.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

LENGTH = "Text length"
SCRIPT = "Script"
LENGTH_EDGES = (0, 50, 100, 200, np.inf)  # characters
MAX_VALUES = 20  # an extra column with more distinct values is an id or free text, not a slice
MIN_ROWS = 5  # smaller slices are too noisy to rank
COLUMNS = ["by", "value", "rows", "errors", "accuracy", "low", "high", "macro_f1"]
NO_LETTERS, BLANK = "None", "(blank)"  # ids of the slice of texts without letters and of empty cells


def judge(frame: pd.DataFrame, metrics: dict[str, Any]) -> pd.DataFrame:
    """Validation predictions with ``predicted``/``correct`` at the run's saved threshold (a binary run's
    predictions.parquet holds the arg-max call made before any threshold was chosen)."""
    labels = metrics.get("labels") or []
    if metrics.get("task") != "single_label" or len(labels) != 2 or f"score_{labels[1]}" not in frame:
        return frame
    frame = frame.copy()
    positive = frame[f"score_{labels[1]}"] >= metrics.get("threshold", 0.5)
    frame["predicted"] = np.where(positive, labels[1], labels[0])
    frame["confidence"] = frame[[f"score_{n}" for n in labels]].max(axis=1)
    frame["correct"] = frame["predicted"] == frame["label"]
    return frame


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``successes / n``; (0, 1) for n = 0."""
    if n == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest

    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def script_of(text: str) -> str:
    """The script most of the letters belong to: 'Latin', 'CJK', 'Cyrillic', 'Arabic'... ('None' without letters)."""
    counts: dict[str, int] = {}
    for ch in str(text):
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        first = name.split(" ")[0] if name else "Other"
        script = "CJK" if first in ("CJK", "HIRAGANA", "KATAKANA", "HANGUL") else first.title()
        counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.get) if counts else NO_LETTERS


def length_bucket(text: str) -> str:
    n = len(str(text))
    for lo, hi in zip(LENGTH_EDGES[:-1], LENGTH_EDGES[1:], strict=True):
        if lo <= n < hi:
            return f"{lo}+" if hi == np.inf else f"{lo}-{int(hi) - 1}"  # an id; ``value_name`` says it in words
    return "?"


def with_data_columns(frame: pd.DataFrame, config: Any) -> pd.DataFrame:
    """``frame`` (predictions) plus the extra columns of the run's data file, joined on the trimmed text.
    A file that cannot be read any more leaves the frame as it is (the built-in slices still work)."""
    from tuneboard.data.readers import read_table
    from tuneboard.errors import TuneboardError

    try:
        df, _ = read_table(config.data, encoding=config.encoding)
        if config.validation and Path(str(config.validation)).is_file():
            extra, _ = read_table(config.validation, encoding=config.encoding)
            df = pd.concat([df, extra], ignore_index=True)
    except (TuneboardError, OSError):
        return frame
    from tuneboard.data.prepare import detect_columns

    text_col, label_col = config.text_column, config.label_column
    if not (text_col and label_col):  # the run let Tuneboard detect them: detect them the same way
        detected = detect_columns(df)
        text_col, label_col = text_col or detected[0], label_col or detected[1]
    used = {text_col, label_col, config.text_pair_column, *config.label_columns}
    if text_col not in df.columns:
        return frame
    keep = [c for c in df.columns if c not in used and c not in frame.columns and _sliceable(df[c])]
    if not keep:
        return frame
    side = df[keep].astype("string").fillna(BLANK)
    side.insert(0, "_key", df[text_col].astype(str).str.strip())
    side = side.drop_duplicates("_key")
    joined = frame.assign(_key=frame["text"].astype(str).str.strip()).merge(side, on="_key", how="left")
    return joined.drop(columns="_key").set_axis(frame.index)


def slice_columns(frame: pd.DataFrame) -> list[str]:
    """Columns worth slicing by: extra columns with 2..MAX_VALUES values (added by ``with_data_columns``)."""
    own = {"text", "text_pair", "label", "predicted", "confidence", "correct", "error"}
    return [c for c in frame.columns if c not in own and not str(c).startswith("score_") and _sliceable(frame[c])]


def _sliceable(values: pd.Series) -> bool:
    """A few distinct values, each shared by several rows on average (an id column is not a slice)."""
    distinct = values.nunique(dropna=True)
    return 1 < distinct <= min(MAX_VALUES, len(values) // 2)


def slice_values(frame: pd.DataFrame, by: str) -> pd.Series:
    """The slice each row falls in for slicing ``by`` (a column, ``LENGTH`` or ``SCRIPT``)."""
    if by == LENGTH:
        return frame["text"].map(length_bucket)
    if by == SCRIPT:
        return frame["text"].map(script_of)
    return frame[by].astype("string").fillna(BLANK)


def by_name(by: str) -> str:
    """What a slicing is called on screen: the built-in ones in the reader's language, a column by its name."""
    from tuneboard.i18n import t

    return {LENGTH: t("engine.slice.by_length"), SCRIPT: t("engine.slice.by_script")}.get(by, by)


def value_name(by: str, value: str) -> str:
    """A slice's value on screen: length buckets and scripts in the reader's language; a column's own values
    (data) as they are, an empty cell as "(blank)" in words."""
    from tuneboard.i18n import t

    if value == BLANK:
        return t("engine.slice.blank")
    if by == LENGTH:
        if value.endswith("+"):
            return t("engine.slice.length_from", low=value[:-1])
        low, _, high = value.partition("-")
        return t("engine.slice.length_range", low=low, high=high)
    if by == SCRIPT:
        key = "engine.slice.script." + value.lower()
        named = t(key)
        return named if named != key else value
    return value


def slice_table(frame: pd.DataFrame, min_rows: int = MIN_ROWS) -> pd.DataFrame:
    """One row per slice with at least ``min_rows`` rows: ``by``, ``value``, ``rows``, ``errors``, ``accuracy``,
    ``low``/``high`` (95 % Wilson) and ``macro_f1``; the lowest accuracy first. ``frame`` needs ``correct``
    (see ``judge``); regression predictions have no slices."""
    if "correct" not in frame:
        return pd.DataFrame(columns=[*COLUMNS, "below_overall"])
    from sklearn.metrics import f1_score

    overall = frame["correct"].mean() if len(frame) else 0.0
    rows = []
    for by in [*slice_columns(frame), LENGTH, SCRIPT]:
        values = slice_values(frame, by)
        if values.nunique() < 2:  # one slice is the whole set: nothing to compare
            continue
        for value, part in frame.groupby(values, sort=True):
            n, right = len(part), int(part["correct"].sum())
            if n < min_rows:
                continue
            low, high = wilson(right, n)
            f1 = f1_score(part["label"].astype(str), part["predicted"].astype(str), average="macro", zero_division=0)
            rows.append({"by": by, "value": str(value), "rows": n, "errors": n - right, "accuracy": right / n,
                         "low": low, "high": high, "macro_f1": float(f1), "below_overall": high < overall})
    table = pd.DataFrame(rows, columns=[*COLUMNS, "below_overall"])
    return table.sort_values(["accuracy", "rows"], ascending=[True, False], ignore_index=True)


def slice_rows(frame: pd.DataFrame, by: str, value: str) -> pd.DataFrame:
    """The rows of one slice (to list its mistakes)."""
    return frame[slice_values(frame, by) == value]
