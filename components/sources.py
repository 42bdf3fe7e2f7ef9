"""Widgets of the Data page: where the table comes from, which columns mean what, how to validate."""
from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import streamlit as st

from tuneboard.i18n import language, t
from tuneboard.protocol import BASELINE_MODEL
from tuneboard.settings import SETTINGS

from . import cache, state, trainform
from .state import Dataset
from .uploads import save_upload
from .widgets import plain, titled

PAIR_KEY = "data_pair_column"
VAL_SIZE = SETTINGS["val_size"]
SHARE_STEP = 5  # percent: the slider offers 5 %, 10 % ... up to the table's largest share
FILE_TYPES = ["csv", "tsv", "txt", "tab", "xlsx", "xlsm", "xls", "json", "jsonl", "ndjson", "parquet", "pq"]
NONE = "(none)"
PROBLEMS = ("error", "warning")
TOKEN_KINDS = ("tokenizer_coverage", "token_lengths")  # the report's checks that need the model's tokenizer


def source_picker() -> None:
    """An upload box and an example picker; whichever was used last becomes the current data."""
    upload_col, example_col = st.columns([3, 2], gap="large")
    with upload_col:
        file = st.file_uploader(t("data.upload"), type=FILE_TYPES, key="data_upload", help=t("data.upload_help"))
    with example_col:
        names = list(state.EXAMPLE_FILES)
        pick = st.selectbox(t("data.example"), names, key="data_example_pick",
                            format_func=lambda n: t(state.EXAMPLE_FILES[n][0]), help=t("data.example_help"))
        st.caption(t(state.EXAMPLE_FILES[pick][1]))
        if st.button(t("data.use_example"), key="data_use_example", icon=":material/dataset:"):
            trainform.use_dataset(state.demo_dataset(state.EXAMPLES / pick))
    if file is not None and st.session_state.get("_applied_upload") != file.file_id:
        record = save_upload(file)
        st.session_state["_applied_upload"] = file.file_id
        trainform.use_dataset(state.Dataset(**record, example=False))


def column_mapper(df: pd.DataFrame, ds: Dataset) -> dict[str, Any]:
    """Text, label and optional second-text columns, pre-filled with the engine's detection."""
    columns = [str(c) for c in df.columns]
    guess_text, guess_label = cache.detect(ds.path, ds.sha)
    text_default = _first_in(columns, ds.text_column, guess_text)
    label_default = NONE if ds.unlabeled or (guess_label is None and not ds.label_column) or len(columns) < 2 else \
        _first_in(columns, ds.label_column, guess_label, *[c for c in columns if c != text_default])
    pair_default = ds.text_pair_column if ds.text_pair_column in columns else NONE
    new_table = st.session_state.get("_columns_of") != ds.path
    st.session_state["_columns_of"] = ds.path
    # Set the values through session state (not ``index=``): the browser keeps showing a keyed select
    # box's old value when only its options change, unless the value itself is pushed.
    for key, default in (("text_column", text_default), ("label_column", label_default), (PAIR_KEY, pair_default)):
        if new_table or st.session_state.get(key) not in columns + [NONE]:
            st.session_state[key] = default
    text_col, label_col, pair_col = st.columns(3)
    text = text_col.selectbox(t("data.text_column"), columns, key="text_column", help=t("data.text_column_help"))
    # "(none)": a table of raw texts, labeled on the Label page
    label = label_col.selectbox(t("data.label_column"), columns + [NONE], key="label_column",
                                help=t("data.label_column_help"),
                                format_func=lambda c: t("label.no_label_column") if c == NONE else c)
    pairs = [NONE] + [c for c in columns if c not in (text, label)]
    if st.session_state.get(PAIR_KEY) not in pairs:
        st.session_state[PAIR_KEY] = NONE
    pair = pair_col.selectbox(t("data.pair_column"), pairs, key=PAIR_KEY, help=t("data.pair_column_help"),
                              format_func=lambda c: t("data.none") if c == NONE else c)
    if label == NONE:
        return {"text_column": text, "label_column": None, "text_pair_column": None if pair == NONE else pair,
                "unlabeled": True}
    return {"text_column": text, "label_column": label, "text_pair_column": None if pair == NONE else pair,
            "unlabeled": False}


def validation_picker(ds: Dataset) -> dict[str, Any]:
    """Hold out a share of the rows, or use a separate labeled file."""
    mode_col, value_col = st.columns([1, 2], gap="large")
    modes = ["Hold out a share", "Separate file"]  # the values (tests and session state); shown translated
    shown = {modes[0]: t("data.val_share_mode"), modes[1]: t("data.val_file_mode")}
    mode = mode_col.radio(t("data.validation"), modes, index=1 if ds.validation else 0, key="data_val_mode",
                          help=t("data.validation_help"), format_func=shown.get)
    if mode == modes[0]:
        share = value_col.slider(t("data.val_share"), SHARE_STEP, int(VAL_SIZE.high * 100),
                                 int(round(ds.val_size * 100)), step=SHARE_STEP, format="%d%%", key="data_val_share")
        return {"val_size": share / 100, "validation": None}
    file = value_col.file_uploader(t("data.val_file"), type=FILE_TYPES, key="data_validation_upload")
    record = save_upload(file)
    if record is None and not ds.validation:
        value_col.info(t("data.val_file_missing"))
    return {"validation": record["path"] if record else ds.validation}


def _first_in(columns: list[str], *candidates: str | None) -> str:
    return next((c for c in candidates if c in columns), columns[0])


def balance_chart(prepared: Any) -> None:
    """Examples per class (train and validation), or the target's distribution for regression."""
    from .charts import PLOTLY_CONFIG, class_balance_figure, histogram_figure

    if prepared.task == "regression":
        st.plotly_chart(histogram_figure(prepared.train["label"]), config=PLOTLY_CONFIG)
        return
    explode = prepared.task == "multi_label"
    counts = [(f["label"].explode() if explode else f["label"]).astype(str).value_counts().to_dict()
              for f in (prepared.train, prepared.val)]
    st.plotly_chart(class_balance_figure(*counts), config=PLOTLY_CONFIG)


def findings_panel(config: Any, prepared: Any, extra: list[Any] = ()) -> None:
    """What will help or hurt training, worst first: the engine's data health report (``tuneboard.data.health``;
    token-length checks are left out here because they need the tokenizer, i.e. transformers)."""
    from tuneboard.data import Finding

    try:
        items = cache.findings(config)
    except Exception:  # a report that cannot be drawn must not hide the checks prepare_data already made
        logging.getLogger("tuneboard.app").exception("data health report failed")
        items = ([Finding("prepare_warning", "warning", w, "") for w in prepared.warnings]
                 + [Finding("prepare_note", "info", n, "") for n in prepared.notes])
    items = [*items, *extra]
    problems = [f for f in items if f.severity in PROBLEMS]
    for f in sorted(problems, key=lambda f: f.severity != "error"):
        (st.error if f.severity == "error" else st.warning)(titled(f.title, f.advice))
    if not problems:
        st.success(t("data.no_problems"))
    fine = [f.title.rstrip(".。") for f in items if f.severity not in PROBLEMS]
    if fine:
        st.markdown("\n".join(f"- :green[:material/check:] {plain(title)}" for title in fine))


@st.cache_resource(max_entries=2, show_spinner=False)
def _tokenizer(model: str) -> Any:
    from tuneboard.model import load_tokenizer, resolve_model

    return load_tokenizer(resolve_model(model, allow_any_path=False))


@st.cache_data(max_entries=16, show_spinner=False)
def _token_report(config: dict[str, Any], stamps: tuple[float, ...], model: str,
                  max_length: int, lang: str) -> tuple[dict[str, Any] | None, list[Any]]:
    """Token lengths and [UNK] coverage on a sample (the report's other checks already ran on every row);
    ``lang`` keys the cache: the findings are worded in the language of the run that made them."""
    from dataclasses import replace

    from tuneboard.config import TrainConfig
    from tuneboard.data import TOKEN_SAMPLE, health_report

    prepared = cache.prepare(TrainConfig.from_dict(config))
    rows = pd.concat([prepared.train, prepared.val], ignore_index=True)
    sample = replace(prepared, train=rows.sample(min(TOKEN_SAMPLE, len(rows)), random_state=0), val=rows.head(0))
    report = health_report(sample, tokenizer=_tokenizer(model), max_length=max_length)
    return report.token_lengths, [f for f in report.findings if f.kind in TOKEN_KINDS]


def token_checks(config: Any) -> dict[str, Any]:
    """Token lengths and coverage for the model chosen on Train (bundled MiniLM until one is chosen):
    ``{model, lengths, findings, skipped}``; findings are the health report's ``Finding``s like ``cache.findings``."""
    from dataclasses import replace
    from pathlib import Path

    from tuneboard.errors import TuneboardError

    model, max_length = trainform.chosen_model()
    out: dict[str, Any] = {"model": model, "lengths": None, "findings": [], "skipped": None}
    if model == BASELINE_MODEL:
        out["skipped"] = t("data.tfidf_no_tokens")
        return out
    stamps = tuple(Path(f).stat().st_mtime for f in (config.data, config.validation) if f and Path(f).exists())
    try:
        with st.spinner(t("data.counting_tokens")):
            out["lengths"], items = _token_report(config.to_dict(), stamps, model, max_length, language())
    except TuneboardError as e:
        out["skipped"] = t("data.token_checks_skipped", reason=str(e))
        return out
    out["findings"] = [replace(f, title=t("data.pick_multilingual", title=f.title.rstrip(".")))
                       if f.kind == "tokenizer_coverage" and f.severity == "warning" else f for f in items]
    return out


def token_chart(checks: dict[str, Any]) -> None:
    """Tokens per text with the max length and the suggestion, and the share that would be cut."""
    from tuneboard.data import tokens_hold

    from .charts import PLOTLY_CONFIG, token_length_figure

    lengths = checks["lengths"]
    if lengths is None:
        st.caption(checks["skipped"] or "")
        return
    chart, notes = st.columns([3, 2], gap="large")
    chart.plotly_chart(token_length_figure(lengths), config=PLOTLY_CONFIG)
    with notes:
        st.metric(t("data.cut_at", max_length=lengths["max_length"]), f"{lengths['truncated_share']:.1%}",
                  help=t("data.cut_at_help"))
        st.metric(t("data.suggested_max_length"), f"{lengths['suggested_max_length']}",
                  help=t("data.suggested_help", p95=lengths["p95"]))
        st.caption(t("data.tokenizer_of", model=plain(checks["model"]), sampled=f"{lengths['sampled']:,}"))
        if "unit" in lengths:  # a report cached before the measure was added has none
            st.caption(tokens_hold(lengths["max_length"], lengths))
