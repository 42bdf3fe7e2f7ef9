"""Turn a raw table into train/validation examples: columns, task, clean labels, split.

``prepare_data(config)`` is what training uses; ``detect_schema`` (text, text pair, label(s), task),
``detect_columns`` and ``detect_task`` are what the Data page and ``inspect`` use to pre-fill their
choices. Detection looks at a sample of big tables; cleaning and splitting use every row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tuneboard import classnames
from tuneboard.config import TrainConfig
from tuneboard.data.readers import TableInfo, read_table
from tuneboard.errors import DataError
from tuneboard.i18n import said, t

LABEL_NAME_HINTS = ("label", "labels", "intent", "category", "class", "target", "sentiment", "tag", "tags",
                    "topic", "y", "rating", "score", "relevant", "类别", "标签", "情感", "分类")
TEXT_NAME_HINTS = ("text", "message", "sentence", "review", "comment", "content", "body", "question",
                   "query", "title", "description", "utterance", "评论", "文本", "内容")
MIN_PER_CLASS = 2
WARN_PER_CLASS = 8
PAIR_MIN_CHARS = 15  # a second column this long on average is free text, not a code or a name
SAMPLE_ROWS = 20_000  # column and task detection look at this many rows of a big table
TRUE_VALUES = {"1", "1.0", "true", "yes", "y"}
BINARY_VALUES = TRUE_VALUES | {"0", "0.0", "false", "no", "n"}


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
    label_columns: tuple[str, ...] = ()
    suggested_pair_column: str | None = None
    info: TableInfo | None = None
    read_seconds: float = 0.0  # wall time of reading, checking and splitting (checks.check_config)


@dataclass
class Schema:
    """What ``detect_schema`` guesses a table holds; every field can be overridden by the user."""

    text_column: str | None
    label_column: str | None
    text_pair_column: str | None = None
    label_columns: tuple[str, ...] = ()  # several 0/1 columns read as one multi-label target
    task: str = "single_label"

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "label_columns": list(self.label_columns)}


def detect_columns(df: pd.DataFrame) -> tuple[str | None, str | None]:
    """Best guess of (text column, label column)."""
    return _guess_columns(_sample(df))


def _guess_columns(df: pd.DataFrame, exclude: tuple[str, ...] = ()) -> tuple[str | None, str | None]:
    text_scores, label_scores = {}, {}
    n = max(len(df), 1)
    for col in df.columns:
        values = _nonempty(df[col])
        if values.empty or col in exclude:
            continue
        mean_len = values.str.len().mean()
        distinct = values.nunique()
        name = str(col).strip().lower()
        text_scores[col] = mean_len * (0.5 + distinct / len(values)) + (40 if name in TEXT_NAME_HINTS else 0)
        few_values = 2 <= distinct <= max(2, min(100, n // 2)) or _is_numeric(values)
        label_scores[col] = ((30 if name in LABEL_NAME_HINTS else 0) + (20 if few_values else 0)
                             - min(mean_len, 60) / 3)
    if not text_scores:
        return None, None
    text_col = max(text_scores, key=text_scores.get)
    rest = {c: s for c, s in label_scores.items() if c != text_col}
    label_col = max(rest, key=rest.get) if rest else None
    return str(text_col), (str(label_col) if label_col is not None else None)


def detect_schema(df: pd.DataFrame, label_delimiter: str = "|") -> Schema:
    """Guess text column, optional second text column, label column(s) and task of a raw table.

    Several 0/1 columns become a multi-label target; a second long free-text column becomes the
    text-pair suggestion (the earlier of the two columns is the first text).
    """
    sample = _sample(df)
    binary = tuple(str(c) for c in sample.columns if _is_binary(sample[c]))
    if len(binary) >= 2:
        text, _ = _guess_columns(sample, exclude=binary)
        return Schema(text, ",".join(binary), suggest_pair_column(sample, text, None, exclude=binary), binary,
                      "multi_label")
    text, label = _guess_columns(sample)
    pair = suggest_pair_column(sample, text, label)
    if pair and list(df.columns).index(pair) < list(df.columns).index(text):
        text, pair = pair, text
    task = detect_task(sample[label], label_delimiter) if label else "single_label"
    return Schema(text, label, pair, (), task)


def suggest_pair_column(df: pd.DataFrame, text: str | None, label: str | None,
                        exclude: tuple[str, ...] = ()) -> str | None:
    """A second long free-text column (e.g. answer next to question), or None."""
    if text is None:
        return None
    scores = {}
    for col in df.columns:
        if col in (text, label) or col in exclude:
            continue
        values = _nonempty(df[col])
        if len(values) < 0.5 * len(df) or values.empty or _is_numeric(values):
            continue
        mean_len, distinct = values.str.len().mean(), values.nunique()
        words = values.str.count(" ").mean() + 1
        if mean_len >= PAIR_MIN_CHARS and distinct >= min(20, len(values) // 2) and (words >= 3 or _has_cjk(values)):
            scores[str(col)] = mean_len * distinct
    return max(scores, key=scores.get) if scores else None


def detect_task(values: pd.Series, delimiter: str = "|") -> str:
    """single_label, multi_label (delimited lists) or regression (a numeric target with many values)."""
    v = _nonempty(values)
    if v.empty:
        return "single_label"
    uniq = pd.Series(v.unique())
    if _is_numeric(uniq):
        nums = pd.to_numeric(uniq)
        is_integer = bool(np.all(np.mod(nums, 1) == 0))
        if len(nums) > 20 or (not is_integer and len(nums) > 10):
            return "regression"
        return "single_label"
    with_delim = v.str.contains(delimiter, regex=False).mean()
    if with_delim >= 0.05:
        parts = uniq.str.split(re.escape(delimiter), regex=True).explode().str.strip()
        if parts.nunique() < len(uniq):  # the parts repeat: these are tags, not free text
            return "multi_label"
    return "single_label"


def prepare_data(config: TrainConfig) -> PreparedData:
    """Read, check and split ``config.data`` (and ``config.validation``) for ``config``'s task."""
    df, info = read_table(config.data, encoding=config.encoding, sheet=config.sheet)
    return prepare_frame(df, config, info)


def prepare_frame(df: pd.DataFrame, config: TrainConfig, info: TableInfo | None = None) -> PreparedData:
    """``prepare_data`` for a table already read (so ``inspect`` reads a big file once)."""
    text_col, label_col, label_columns, notes = _resolve_columns(df, config)
    frame, task, clean_notes, dropped = _clean(df, config, text_col, label_col, label_columns)
    notes += clean_notes
    labels = classnames.ordered(_label_list(frame, task), config.classes)
    if config.validation:
        vdf, _ = read_table(config.validation, encoding=config.encoding)
        wanted = (text_col, config.text_pair_column, *(label_columns or (label_col,)))
        missing = [c for c in wanted if c and c not in vdf.columns]
        if missing:
            raise DataError(t("engine.err.data.val_missing_columns", missing=", ".join(missing),
                              columns=", ".join(map(str, vdf.columns))))
        val, _, _, _ = _clean(vdf, config, text_col, label_col, label_columns, task=task)
        train = frame
        _check_val_labels(val, labels, task)
    else:
        train, val = split(frame, task, config.val_size, config.seed)
    pair = None if config.text_pair_column else suggest_pair_column(_sample(df), text_col, label_col, label_columns)
    if pair:
        notes.append(said("engine.note.data.pair_column", col=pair))
    return PreparedData(train=train.reset_index(drop=True), val=val.reset_index(drop=True), task=task,
                        labels=labels, text_column=text_col, label_column=label_col,
                        text_pair_column=config.text_pair_column, notes=notes, warnings=_class_warnings(train, task),
                        rows_read=len(df), dropped=dropped, label_columns=label_columns,
                        suggested_pair_column=pair, info=info)


def _resolve_columns(df: pd.DataFrame, config: TrainConfig) -> tuple[str, str, tuple[str, ...], list[str]]:
    columns = [str(c) for c in df.columns]
    for name in (config.text_column, config.label_column, config.text_pair_column, *config.label_columns):
        if name and name not in columns:
            raise DataError(t("engine.err.data.no_column", col=name, columns=", ".join(columns)))
    if len(columns) < 2:
        raise DataError(t("engine.err.data.one_column", col=columns[0][:60]))
    notes: list[str] = []
    label_columns = tuple(config.label_columns)
    exclude = tuple(c for c in (config.text_pair_column, config.label_column, *label_columns) if c)
    schema = detect_schema(df.drop(columns=list(exclude)) if exclude else df, config.label_delimiter)
    text_col = config.text_column or schema.text_column
    label_col = config.label_column or (",".join(label_columns) if label_columns else None)
    if (
        not label_col
        and schema.label_columns
        and config.task in ("auto", "multi_label")
        and text_col not in schema.label_columns
    ):
        label_columns, label_col = schema.label_columns, schema.label_column
        notes.append(said("engine.note.data.binary_columns", cols=", ".join(label_columns)))
    if not label_col:
        guess = schema.label_column if schema.label_column != text_col else None
        label_col = guess or _guess_columns(_sample(df), exclude=(text_col,))[1]
    if not text_col or not label_col:
        raise DataError(t("engine.err.data.no_guess"))
    if text_col == label_col:
        raise DataError(t("engine.err.data.same_column", col=text_col))
    return text_col, label_col, label_columns, notes


def _clean(df: pd.DataFrame, config: TrainConfig, text_col: str, label_col: str, label_columns: tuple[str, ...],
           task: str | None = None) -> tuple[pd.DataFrame, str, list[str], dict[str, int]]:
    """Trim texts and labels, drop unusable rows (counted by reason), canonicalise labels for ``task``."""
    text_cols = (
        {"text": text_col, "text_pair": config.text_pair_column} if config.text_pair_column else {"text": text_col}
    )
    out = pd.DataFrame({k: _trimmed(df[c]) for k, c in text_cols.items()})
    if label_columns:
        label, task = _join_binary_columns(df, list(label_columns), config.label_delimiter), task or "multi_label"
    else:
        label = _trimmed(df[label_col])
    empty_text = (out[list(text_cols)] == "").any(axis=1)
    empty_label = (label == "") & ~empty_text
    if label_columns:
        empty_label[:] = False  # no tag at all is a valid multi-label example
    elif (label == "").all():
        raise DataError(t("engine.err.data.empty_labels", col=label_col))
    dropped = {k: int(v.sum()) for k, v in (("empty text", empty_text), ("empty label", empty_label)) if v.sum()}
    keep = ~(empty_text | empty_label)
    out, label = out[keep], label[keep]
    if out.empty:
        raise DataError(t("engine.err.data.no_rows_left"))
    if task is None:
        task = config.task if config.task != "auto" else detect_task(label, config.label_delimiter)
    out, notes = _set_labels(out, label, task, label_col, config.label_delimiter, dropped)
    if config.classes and task != "regression":
        out = _named(out, task, config.classes)
    if dropped:
        # the reasons are the keys of ``dropped``: engine.data.why.empty_text, .empty_label, .label_not_a_number
        parts = [t("engine.note.data.dropped_part", count=n, why=t(f"engine.data.why.{why.replace(' ', '_')}"))
                 for why, n in dropped.items()]
        notes.insert(0, t("engine.note.data.dropped", parts=t("engine.list_sep").join(parts)))
    return out, task, notes, dropped


def _named(out: pd.DataFrame, task: str, classes: classnames.Classes) -> pd.DataFrame:
    """Codes replaced by their class names (a name already there stays), so the run trains on the names."""
    lookup = classnames.name_of(classes)
    out = out.copy()
    if task == "multi_label":
        out["label"] = [sorted({classnames.rename(x, lookup) for x in tags}) for tags in out["label"]]
    else:
        out["label"] = out["label"].map(lambda x: classnames.rename(x, lookup))
    return out


def _trimmed(values: pd.Series) -> pd.Series:
    return values.astype("str").fillna("").str.strip()


def _set_labels(out: pd.DataFrame, label: pd.Series, task: str, label_col: str, delimiter: str,
                dropped: dict[str, int]) -> tuple[pd.DataFrame, list[str]]:
    """The ``label`` column for ``task``: floats, sorted tag lists, or canonical class names."""
    out, notes = out.copy(), []
    if task == "regression":
        nums = pd.to_numeric(label, errors="coerce")
        bad = int(nums.isna().sum())
        if bad == len(nums):
            raise DataError(t("engine.err.data.regression_no_numbers", col=label_col))
        if bad:
            dropped["label not a number"] = bad
        out["label"] = nums.astype(float)
        return out[nums.notna().to_numpy()], notes
    if task == "multi_label":
        parts = label.str.split(delimiter, regex=False)
        canon, notes = _canonical_names(parts.explode().str.strip())
        out["label"] = [sorted({canon[p.strip()] for p in ps if p.strip()}) for ps in parts]
        return out, notes
    canon, notes = _canonical_names(label)
    out["label"] = label.map(canon)
    if _is_mixed(label):
        examples = ", ".join(repr(x) for x in pd.Series(label.unique()).head(4))
        notes.append(said("engine.note.data.mixed_labels", examples=examples))
    return out, notes


def _join_binary_columns(df: pd.DataFrame, cols: list[str], delim: str) -> pd.Series:
    flags = pd.DataFrame({c: _trimmed(df[c]).str.lower().isin(list(TRUE_VALUES)) for c in cols})
    return pd.Series(
        [delim.join(c for c, on in zip(cols, row, strict=False) if on) for row in flags.itertuples(index=False)],
        index=df.index,
        dtype="str",
    )


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
            notes.append(said("engine.note.data.merged_labels", spellings=", ".join(repr(s) for s in spellings),
                           main=main))
    return canon, notes


def _label_list(frame: pd.DataFrame, task: str) -> list[str]:
    if task == "regression":
        return []
    names = frame["label"].explode() if task == "multi_label" else frame["label"]
    labels = sorted({str(x) for x in names.dropna().unique()}, key=classnames.natural_key)
    if task == "single_label":
        if len(labels) < 2:
            only = labels[0] if labels else t("engine.data.nothing")
            raise DataError(t("engine.err.data.one_class", label=only))
        counts = frame["label"].value_counts()
        rare = [f"'{k}' ({v})" for k, v in counts.items() if v < MIN_PER_CLASS]
        if rare:
            raise DataError(t("engine.err.data.rare_classes", classes=", ".join(rare), min=MIN_PER_CLASS))
    if task == "multi_label" and len(labels) < 2:
        raise DataError(t("engine.err.data.one_tag"))
    return labels


def split(frame: pd.DataFrame, task: str, val_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seeded train/validation split, stratified by class for single-label data."""
    from sklearn.model_selection import train_test_split

    n_val = max(1, int(round(len(frame) * val_size)))
    stratify = None
    if task == "single_label":
        n_classes = frame["label"].nunique()
        n_val = max(n_val, n_classes)
        # Sorted category codes split exactly like the names do, but ~50x faster on a million rows.
        names = frame["label"].astype("str")
        stratify = pd.Categorical(names, categories=sorted(names.unique())).codes
    if len(frame) - n_val < 2:
        raise DataError(t("engine.err.data.too_few_rows", count=len(frame)))
    train, val = train_test_split(frame, test_size=n_val, random_state=seed, stratify=stratify)
    return train, val


def _check_val_labels(val: pd.DataFrame, labels: list[str], task: str) -> None:
    if task == "regression":
        return
    seen = set(val["label"].explode() if task == "multi_label" else val["label"])
    unknown = sorted(str(x) for x in seen - set(labels))
    if unknown:
        raise DataError(t("engine.err.data.val_unknown_labels", labels=", ".join(unknown[:5])))


def _class_warnings(train: pd.DataFrame, task: str) -> list[str]:
    if task != "single_label":
        return []
    counts = train["label"].value_counts()
    few = [f"'{k}' ({v})" for k, v in counts.items() if v < WARN_PER_CLASS]
    return (
        [said("engine.note.data.few_examples", classes=", ".join(few))]
        if few
        else []
    )


def _sample(df: pd.DataFrame, n: int = SAMPLE_ROWS) -> pd.DataFrame:
    return df if len(df) <= n else df.sample(n, random_state=0)


def _nonempty(values: pd.Series) -> pd.Series:
    v = values.dropna().astype("str").str.strip()
    return v[v != ""]


def _is_binary(values: pd.Series) -> bool:
    v = _nonempty(values).str.lower()
    return len(v) > 0 and set(v.unique()) <= BINARY_VALUES and v.nunique() == 2


def _has_cjk(values: pd.Series) -> bool:
    return bool(values.head(200).str.contains(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", regex=True).mean() > 0.5)


def _is_numeric(values: pd.Series) -> bool:
    return bool(len(values)) and bool(pd.to_numeric(values, errors="coerce").notna().all())


def _is_mixed(values: pd.Series) -> bool:
    uniq = pd.Series(values.unique())
    is_num = pd.to_numeric(uniq, errors="coerce").notna()
    return bool(is_num.any() and not is_num.all())
