"""Turn a raw table into train/validation examples: columns, task, clean labels, split.

``prepare_data(config)`` is what training uses; ``detect_columns`` and ``detect_task`` are what the
Data page and ``inspect`` use to pre-fill their choices.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .config import TrainConfig
from .errors import DataError
from .readers import read_table

LABEL_NAME_HINTS = ("label", "labels", "intent", "category", "class", "target", "sentiment", "tag", "tags",
                    "topic", "y", "rating", "score", "relevant", "类别", "标签", "情感", "分类")
TEXT_NAME_HINTS = ("text", "message", "sentence", "review", "comment", "content", "body", "question",
                   "query", "title", "description", "utterance", "评论", "文本", "内容")
MIN_PER_CLASS = 2
WARN_PER_CLASS = 8


@dataclass
class PreparedData:
    """Examples ready for tokenization. Frames have columns ``text``, ``text_pair`` (optional), ``label``.

    ``label`` holds a class name (single-label), a list of class names (multi-label) or a float
    (regression). ``labels`` is the ordered class list (empty for regression).
    """

    train: pd.DataFrame
    val: pd.DataFrame
    task: str
    labels: list[str]
    text_column: str
    label_column: str
    text_pair_column: str | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


def detect_columns(df: pd.DataFrame) -> tuple[str | None, str | None]:
    """Best guess of (text column, label column)."""
    if df.shape[1] == 0:
        return None, None
    text_scores, label_scores = {}, {}
    n = max(len(df), 1)
    for col in df.columns:
        values = df[col].dropna().astype(str).str.strip()
        values = values[values != ""]
        if values.empty:
            continue
        mean_len = values.str.len().mean()
        unique_ratio = values.nunique() / len(values)
        name = str(col).strip().lower()
        text_scores[col] = mean_len * (0.5 + unique_ratio) + (40 if name in TEXT_NAME_HINTS else 0)
        distinct = values.nunique()
        few_values = 2 <= distinct <= max(2, min(100, n // 2)) or _is_numeric(values)
        label_scores[col] = ((30 if name in LABEL_NAME_HINTS else 0) + (20 if few_values else 0)
                             - min(mean_len, 60) / 3)
    if not text_scores:
        return None, None
    text_col = max(text_scores, key=text_scores.get)
    rest = {c: s for c, s in label_scores.items() if c != text_col}
    label_col = max(rest, key=rest.get) if rest else None
    return str(text_col), (str(label_col) if label_col is not None else None)


def detect_task(values: pd.Series, delimiter: str = "|") -> str:
    """single_label, multi_label (delimited lists) or regression (a numeric target with many values)."""
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    if v.empty:
        return "single_label"
    if _is_numeric(v):
        nums = pd.to_numeric(v)
        distinct = nums.nunique()
        is_integer = bool(np.all(np.mod(nums, 1) == 0))
        if distinct > 20 or (not is_integer and distinct > 10):
            return "regression"
        return "single_label"
    with_delim = v.str.contains(re.escape(delimiter), regex=True).mean()
    if with_delim >= 0.05:
        parts = v.str.split(re.escape(delimiter), regex=True).explode().str.strip()
        if parts.nunique() < v.nunique():  # the parts repeat: these are tags, not free text
            return "multi_label"
    return "single_label"


def prepare_data(config: TrainConfig) -> PreparedData:
    """Read, check and split ``config.data`` (and ``config.validation``) for ``config``'s task."""
    df, _ = read_table(config.data, encoding=config.encoding, sheet=config.sheet)
    text_col, label_col = _resolve_columns(df, config)
    frame, task, notes, dropped = _clean(df, config, text_col, label_col)
    labels = _label_list(frame, task)
    if config.validation:
        vdf, _ = read_table(config.validation, encoding=config.encoding)
        missing = [c for c in (text_col, label_col, config.text_pair_column) if c and c not in vdf.columns]
        if missing:
            raise DataError(f"The validation file lacks column(s) {', '.join(missing)} that the training file has. "
                            "Use the same column names in both files.")
        val, _, vnotes, _ = _clean(vdf, config, text_col, label_col, task=task)
        train = frame
        _check_val_labels(val, labels, task)
    else:
        train, val = split(frame, task, config.val_size, config.seed)
    warnings = _class_warnings(train, task)
    return PreparedData(train=train.reset_index(drop=True), val=val.reset_index(drop=True), task=task,
                        labels=labels, text_column=text_col, label_column=label_col,
                        text_pair_column=config.text_pair_column, notes=notes, warnings=warnings,
                        rows_read=len(df), dropped=dropped)


def _resolve_columns(df: pd.DataFrame, config: TrainConfig) -> tuple[str, str]:
    columns = [str(c) for c in df.columns]
    for name in (config.text_column, config.label_column, config.text_pair_column, *config.label_columns):
        if name and name not in columns:
            raise DataError(f"Column '{name}' is not in the file. Columns found: {', '.join(columns)}.")
    if len(columns) < 2:
        raise DataError(f"Only one column ('{columns[0]}') was found: the file needs a text column and a label "
                        "column. Check the delimiter (comma, semicolon, tab) or add the labels.")
    guess_text, guess_label = detect_columns(df)
    text_col = config.text_column or guess_text
    label_col = config.label_column or (",".join(config.label_columns) if config.label_columns else None)
    if not label_col:
        label_col = guess_label if guess_label != text_col else None
    if not text_col or not label_col:
        raise DataError("Could not tell which column holds the text and which the label. "
                        "Name them with --text-column and --label-column.")
    if text_col == label_col:
        raise DataError(f"The text column and the label column are both '{text_col}'. Pick two different columns.")
    return text_col, label_col


def _clean(df: pd.DataFrame, config: TrainConfig, text_col: str, label_col: str,
           task: str | None = None) -> tuple[pd.DataFrame, str, list[str], dict[str, int]]:
    notes: list[str] = []
    out = pd.DataFrame({"text": df[text_col].astype(object)})
    if config.text_pair_column:
        out["text_pair"] = df[config.text_pair_column].astype(object)
    if config.label_columns:
        raw_label = _join_binary_columns(df, list(config.label_columns), config.label_delimiter)
        task = task or "multi_label"
    else:
        raw_label = df[label_col].astype(object)
    text_cols = ["text", "text_pair"] if config.text_pair_column else ["text"]
    for c in text_cols:
        out[c] = out[c].where(out[c].notna(), "").astype(str).str.strip()
    label = raw_label.where(raw_label.notna(), "").astype(str).str.strip()
    dropped: dict[str, int] = {}
    empty_text = (out[text_cols] == "").any(axis=1)
    empty_label = (label == "") & ~empty_text
    if config.label_columns:
        empty_label[:] = False  # no tag at all is a valid multi-label example
    if empty_label.all() or (label == "").all():
        raise DataError(f"The label column '{label_col}' is empty in every row. Pick the column that holds the labels.")
    dropped = {k: int(v.sum()) for k, v in (("empty text", empty_text), ("empty label", empty_label)) if v.sum()}
    keep = ~(empty_text | empty_label)
    out, label = out[keep].copy(), label[keep]
    if dropped:
        notes.append("Dropped " + ", ".join(f"{n} row(s) with {why}" for why, n in dropped.items()) + ".")
    if task is None:
        task = config.task if config.task != "auto" else detect_task(label, config.label_delimiter)
    if task == "regression":
        nums = pd.to_numeric(label, errors="coerce")
        bad = int(nums.isna().sum())
        if bad == len(nums):
            raise DataError(f"Regression needs numbers, but '{label_col}' holds none. Choose single-label classification.")
        if bad:
            notes.append(f"Dropped {bad} row(s) whose label is not a number.")
            dropped["label not a number"] = bad
        out["label"] = nums.astype(float)
        out = out[nums.notna().to_numpy()]
    elif task == "multi_label":
        parts = label.str.split(re.escape(config.label_delimiter), regex=True)
        canon, merged = _canonical_names(parts.explode().str.strip())
        out["label"] = [sorted({canon[p.strip()] for p in ps if p.strip()}) for ps in parts]
        notes += merged
    else:
        canon, merged = _canonical_names(label)
        out["label"] = label.map(canon)
        notes += merged
        mixed = _is_mixed(label)
        if mixed:
            notes.append("Labels mix numbers and words; all are treated as names (text).")
    if out.empty:
        raise DataError("No usable rows are left after dropping empty text and labels. Check the column choice.")
    return out, task, notes, dropped


def _join_binary_columns(df: pd.DataFrame, cols: list[str], delim: str) -> pd.Series:
    flags = df[cols].apply(lambda s: s.astype(str).str.strip().str.lower().isin(["1", "1.0", "true", "yes", "y"]))
    return flags.apply(lambda row: delim.join(c for c in cols if row[c]), axis=1)


def _canonical_names(values: pd.Series) -> tuple[dict[str, str], list[str]]:
    """Map each spelling to one canonical name; labels differing only by case/spaces are merged."""
    values = values[values.notna() & (values != "")]
    counts = values.value_counts()
    groups: dict[str, list[str]] = {}
    for spelling in counts.index:
        groups.setdefault(" ".join(str(spelling).split()).casefold(), []).append(str(spelling))
    canon, notes = {}, []
    for spellings in groups.values():
        main = spellings[0]  # most frequent spelling wins
        for s in spellings:
            canon[s] = main
        if len(spellings) > 1:
            notes.append(f"Merged labels that differ only by case or spaces: {', '.join(repr(s) for s in spellings)} → '{main}'.")
    return canon, notes


def _label_list(frame: pd.DataFrame, task: str) -> list[str]:
    if task == "regression":
        return []
    names = frame["label"].explode() if task == "multi_label" else frame["label"]
    labels = sorted({str(x) for x in names.dropna()}, key=_natural_key)
    if task == "single_label":
        if len(labels) < 2:
            only = labels[0] if labels else "nothing"
            raise DataError(f"Every usable row has the same label ('{only}'): a classifier needs at least 2 classes. "
                            "Add examples of other classes or pick another label column.")
        counts = frame["label"].value_counts()
        rare = [f"'{k}' ({v})" for k, v in counts.items() if v < MIN_PER_CLASS]
        if rare:
            raise DataError(f"Class(es) {', '.join(rare)} have fewer than {MIN_PER_CLASS} examples, too few to learn "
                            "and validate. Add examples or remove those rows.")
    if task == "multi_label" and len(labels) < 2:
        raise DataError("Multi-label training needs at least 2 different tags. Check the delimiter and the label column.")
    return labels


def split(frame: pd.DataFrame, task: str, val_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded train/validation split, stratified by class for single-label data."""
    from sklearn.model_selection import train_test_split

    n_val = max(1, int(round(len(frame) * val_size)))
    stratify = None
    if task == "single_label":
        n_classes = frame["label"].nunique()
        n_val = max(n_val, n_classes)
        stratify = frame["label"]
    if len(frame) - n_val < 2:
        raise DataError(f"Only {len(frame)} usable rows: too few to split into training and validation. "
                        "Add more labeled examples (at least a few dozen).")
    train, val = train_test_split(frame, test_size=n_val, random_state=seed, stratify=stratify)
    return train, val


def _check_val_labels(val: pd.DataFrame, labels: list[str], task: str) -> None:
    if task == "regression":
        return
    seen = set(val["label"].explode() if task == "multi_label" else val["label"])
    unknown = sorted(str(x) for x in seen - set(labels))
    if unknown:
        raise DataError(f"The validation file has label(s) never seen in training: {', '.join(unknown[:5])}. "
                        "Use the same label names in both files.")


def _class_warnings(train: pd.DataFrame, task: str) -> list[str]:
    if task != "single_label":
        return []
    counts = train["label"].value_counts()
    few = [f"'{k}' ({v})" for k, v in counts.items() if v < WARN_PER_CLASS]
    return [f"Few training examples for {', '.join(few)}: expect weak results on those classes; aim for 20+ each."] if few else []


def _is_numeric(values: pd.Series) -> bool:
    return bool(len(values)) and bool(pd.to_numeric(values, errors="coerce").notna().all())


def _is_mixed(values: pd.Series) -> bool:
    uniq = pd.Series(values.unique())
    is_num = pd.to_numeric(uniq, errors="coerce").notna()
    return bool(is_num.any() and not is_num.all())


def _natural_key(s: str) -> tuple[Any, ...]:
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s.casefold())
