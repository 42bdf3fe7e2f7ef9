"""Widgets of the Data page: where the table comes from, which columns mean what, how to validate."""
from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import streamlit as st

from . import cache, state
from .uploads import save_upload

FILE_TYPES = ["csv", "tsv", "txt", "tab", "xlsx", "xlsm", "xls", "json", "jsonl", "ndjson", "parquet", "pq"]
NONE = "(none)"


def source_picker() -> None:
    """An upload box and an example picker; whichever was used last becomes the current data."""
    upload_col, example_col = st.columns([3, 2], gap="large")
    with upload_col:
        file = st.file_uploader("Upload a labeled table", type=FILE_TYPES, key="data_upload",
                                help="CSV, TSV, Excel, JSON Lines or Parquet, with a header row. One column holds "
                                     "the text, another the label. Any encoding; up to 500 MB.")
    with example_col:
        names = list(state.EXAMPLE_FILES)
        pick = st.selectbox("…or try an example", names, key="example_pick",
                            format_func=lambda n: state.EXAMPLE_FILES[n][0],
                            help="Small synthetic tables that ship with Tuneboard (see examples/README.md).")
        st.caption(state.EXAMPLE_FILES[pick][1])
        if st.button("Use this example", key="use_example", icon=":material/dataset:"):
            state.set_dataset(state.demo_dataset(state.EXAMPLES / pick))
    if file is not None and st.session_state.get("_applied_upload") != file.file_id:
        record = save_upload(file)
        st.session_state["_applied_upload"] = file.file_id
        state.set_dataset({**state.demo_dataset(), **record, "example": False})


def column_mapper(df: pd.DataFrame, ds: dict[str, Any]) -> dict[str, Any]:
    """Text, label and optional second-text columns, pre-filled with the engine's detection."""
    columns = [str(c) for c in df.columns]
    guess_text, guess_label = cache.detect(ds["path"], ds.get("sha"))
    if st.session_state.get("_columns_of") != ds["path"]:  # new table: drop the old table's choices
        for key in ("text_column", "label_column", "pair_column"):
            st.session_state.pop(key, None)
        st.session_state["_columns_of"] = ds["path"]
    text_default = _first_in(columns, ds.get("text_column"), guess_text)
    label_default = _first_in(columns, ds.get("label_column"), guess_label, *[c for c in columns if c != text_default])
    text_col, label_col, pair_col = st.columns(3)
    text = text_col.selectbox("Text column", columns, index=columns.index(text_default), key="text_column",
                              help="The column with the sentences the model reads.")
    label = label_col.selectbox("Label column", columns, index=columns.index(label_default), key="label_column",
                                help="The column with the class (or classes, or score) to predict.")
    pairs = [NONE] + [c for c in columns if c not in (text, label)]
    pair = pair_col.selectbox("Second text (optional)", pairs, key="pair_column",
                              index=pairs.index(ds["pair_column"]) if ds.get("pair_column") in pairs else 0,
                              help="For pairs such as question + answer: both texts are given to the model.")
    return {"text_column": text, "label_column": label, "pair_column": None if pair == NONE else pair}


def validation_picker(ds: dict[str, Any]) -> dict[str, Any]:
    """Hold out a share of the rows, or use a separate labeled file."""
    mode_col, value_col = st.columns([1, 2], gap="large")
    modes = ["Hold out a share", "Separate file"]
    mode = mode_col.radio("Validation data", modes, index=1 if ds.get("validation") else 0, key="val_mode",
                          help="The model is scored on rows it never trains on.")
    if mode == modes[0]:
        share = value_col.slider("Share of rows held out for validation", 5, 50, int(round(ds.get("val_size", 0.2) * 100)),
                                 step=5, format="%d%%", key="val_share")
        return {"val_size": share / 100, "validation": None}
    file = value_col.file_uploader("Validation file (same columns)", type=FILE_TYPES, key="validation_upload")
    record = save_upload(file)
    if record is None and not ds.get("validation"):
        value_col.info("Upload the validation file, or hold out a share instead.")
    return {"validation": record["path"] if record else ds.get("validation")}


def _first_in(columns: list[str], *candidates: str | None) -> str:
    return next((c for c in candidates if c in columns), columns[0])


def balance_chart(prepared: Any) -> None:
    """Examples per class (train and validation), or the target's distribution for regression."""
    from .charts import class_balance_figure, histogram_figure

    if prepared.task == "regression":
        st.plotly_chart(histogram_figure(prepared.train["label"]), config={"displaylogo": False})
        return
    explode = prepared.task == "multi_label"
    counts = [(f["label"].explode() if explode else f["label"]).astype(str).value_counts().to_dict()
              for f in (prepared.train, prepared.val)]
    st.plotly_chart(class_balance_figure(*counts), config={"displaylogo": False})


def findings_panel(config: Any, prepared: Any) -> None:
    """What will help or hurt training, worst first: the engine's data health report (``tuneboard.health``;
    token-length checks are left out here because they need the tokenizer, i.e. transformers)."""
    try:
        items = cache.findings(config)
    except Exception:  # a report that cannot be drawn must not hide the checks prepare_data already made
        logging.getLogger("tuneboard.app").exception("data health report failed")
        items = [("warning", w, "") for w in prepared.warnings] + [("info", n, "") for n in prepared.notes]
    problems = [i for i in items if i[0] in ("error", "warning")]
    for severity, title, advice in sorted(problems, key=lambda t: t[0] != "error"):
        (st.error if severity == "error" else st.warning)(f"**{title.rstrip('.')}.** {advice}")
    if not problems:
        st.success("No problems found: the table is ready to train on.")
    fine = [title.rstrip(".") for severity, title, _ in items if severity not in ("error", "warning")]
    if fine:
        st.markdown("\n".join(f"- :green[:material/check:] {t}" for t in fine))
