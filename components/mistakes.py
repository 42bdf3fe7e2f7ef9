"""The error-analysis loop of the Evaluate page: the wrong rows (filtered by a confusion-matrix cell,
sorted by confidence, exported to CSV), fixed in place, saved as a corrected copy, retrained in one click."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from tuneboard.files import safe_csv
from tuneboard.i18n import t

from . import auth, cache, nav, state, trainform
from .tables import edit_table
from .widgets import as_percent, percent_column, plain, show_error

ALL = "(any)"
CHART_KEY = "eval_confusion_pick"
FILTER_KEYS = ("eval_mistake_true", "eval_mistake_pred")
ORDER_KEY = "eval_mistake_order"
ORDERS = ("Most confident first", "Least confident first")  # values; shown as t("mistakes.order_0"/"_1")
SHOWN = 500  # rows in the editor: enough to work through, light enough for the browser


def take_cell() -> None:
    """``on_select`` of the confusion matrix: the clicked cell becomes the true/predicted filter."""
    points = st.session_state[CHART_KEY].selection.points
    if points:
        # the chart shows labels escaped (charts.plain_text): turn the clicked cell back into the labels
        true, predicted = html.unescape(str(points[0]["y"])), html.unescape(str(points[0]["x"]))
        st.session_state[FILTER_KEYS[0]], st.session_state[FILTER_KEYS[1]] = true, predicted


def wrong_rows(frame: pd.DataFrame, metrics: dict[str, Any]) -> pd.DataFrame:
    """Rows the model got wrong; regression: every row, largest error first. A binary run is judged at its
    saved threshold (predictions.parquet holds the arg-max call made before any threshold was chosen)."""
    if metrics["task"] == "regression":
        return frame.reindex(frame["error"].abs().sort_values(ascending=False).index)
    labels = metrics.get("labels") or []
    if metrics["task"] == "single_label" and len(labels) == 2 and f"score_{labels[1]}" in frame:
        frame = frame.copy()
        positive = frame[f"score_{labels[1]}"] >= metrics.get("threshold", 0.5)
        frame["predicted"] = np.where(positive, labels[1], labels[0])
        frame["confidence"] = frame[[f"score_{n}" for n in labels]].max(axis=1)
        frame["correct"] = frame["predicted"] == frame["label"]
    return frame[~frame["correct"]]


def error_analysis(run: Any, metrics: dict[str, Any], frame: pd.DataFrame) -> None:
    """Mistakes table with filters, CSV export, in-place fixes, Save corrected copy and Train again."""
    task, labels = metrics["task"], [str(n) for n in metrics.get("labels") or []]
    wrong = wrong_rows(frame, metrics)
    total = len(wrong)
    if task == "regression":
        st.subheader(t("mistakes.largest"))
        st.caption(t("mistakes.largest_caption"))
    else:
        st.subheader(t("mistakes.title", wrong=len(wrong), rows=len(frame)))
        st.caption(t("mistakes.caption"))
        shown = _filtered(wrong, labels, task)
        if len(shown) != len(wrong):
            st.caption(t("mistakes.filtered", shown=len(shown), wrong=len(wrong)))
        wrong = shown
    if wrong.empty:
        st.success(t("mistakes.none_match") if total else t("mistakes.none"))
        return
    edits = st.session_state.setdefault("_corrections", {}).setdefault(run.run_id, {})
    table = _editor(wrong, task, labels, edits)
    _collect(table, edits, task)
    export = wrong[[c for c in ("text", "text_pair", "label", "predicted", "confidence", "error") if c in wrong]]
    save, download, note = st.columns([1, 1, 2], vertical_alignment="center")
    if auth.allowed("export", run.path):
        download.download_button(t("mistakes.export"), safe_csv(export),
                                 file_name="mistakes.csv", mime="text/csv", key="eval_export_mistakes",
                                 icon=":material/download:")
    note.caption(t("mistakes.changed_one" if len(edits) == 1 else "mistakes.changed", count=len(edits)) if edits
                 else t("mistakes.fix_hint"))
    if auth.allowed("relabel", run.path) and save.button(t("mistakes.save"), key="eval_save_corrections",
                                                         type="primary", disabled=not edits, icon=":material/save:"):
        _save(run, edits)
    retrain_offer(run)


def _filtered(wrong: pd.DataFrame, labels: list[str], task: str) -> pd.DataFrame:
    """True/predicted select boxes (set by a click on the matrix too) and the sort order."""
    options = [ALL, *labels]
    for key in FILTER_KEYS:
        if st.session_state.get(key) not in options:
            st.session_state[key] = ALL
    true_col, pred_col, order_col = st.columns([2, 2, 3], vertical_alignment="bottom")
    # names looked up now, in the page's language (a test harness may call format_func from another context)
    any_label, order_labels = t("mistakes.any"), {ORDERS[0]: t("mistakes.order_0"), ORDERS[1]: t("mistakes.order_1")}

    def shown(option: str) -> str:
        return any_label if option == ALL else option

    true = true_col.selectbox(t("mistakes.true_label"), options, key=FILTER_KEYS[0], disabled=task != "single_label",
                              format_func=shown)
    pred = pred_col.selectbox(t("mistakes.predicted"), options, key=FILTER_KEYS[1], disabled=task != "single_label",
                              format_func=shown)
    order = order_col.radio(t("mistakes.order"), ORDERS, key=ORDER_KEY, horizontal=True, label_visibility="collapsed",
                            format_func=order_labels.get)
    if true != ALL:
        wrong = wrong[wrong["label"] == true]
    if pred != ALL:
        wrong = wrong[wrong["predicted"] == pred]
    if true != ALL and true == pred:
        st.info(t("mistakes.right_cell", label=plain(true)))
    return wrong.sort_values("confidence", ascending=order != ORDERS[0])


def _editor(wrong: pd.DataFrame, task: str, labels: list[str], edits: dict[str, Any]) -> pd.DataFrame:
    cols = [c for c in ("text", "text_pair", "label", "predicted", "confidence", "error") if c in wrong]
    view = wrong[cols].head(SHOWN).reset_index(drop=True)
    view["new_label"] = [edits.get(t) for t in view["text"]]
    if task == "regression":
        view["new_label"] = pd.to_numeric(view["new_label"])
    view["exclude"] = [t in edits and edits[t] is None for t in view["text"]]
    if task == "regression":
        new = st.column_config.NumberColumn(t("mistakes.new_value"), help=t("mistakes.new_value_help"))
    elif task == "multi_label":
        new = st.column_config.TextColumn(t("mistakes.new_labels"), help=t("mistakes.new_labels_help"))
    else:
        new = st.column_config.SelectboxColumn(t("mistakes.new_label"), options=labels,
                                               help=t("mistakes.new_label_help"))
    width = "medium" if "text_pair" in view else "large"  # leave room for the columns that fix a row
    config = {
        "text": st.column_config.TextColumn(t("mistakes.text"), width=width),
        "text_pair": st.column_config.TextColumn(t("mistakes.second_text"), width="medium"),
        "label": t("mistakes.true_label") if task != "regression" else t("mistakes.true_value"),
        "predicted": st.column_config.NumberColumn(t("mistakes.predicted"), format="%.2f") if task == "regression"
        else t("mistakes.predicted"),
        "confidence": percent_column(t("mistakes.confidence"), progress=True),
        "error": st.column_config.NumberColumn(t("mistakes.error"), format="%.2f"),
        "new_label": new,
        "exclude": st.column_config.CheckboxColumn(t("mistakes.exclude"), help=t("mistakes.exclude_help")),
    }
    filters = "|".join(str(st.session_state.get(k)) for k in (*FILTER_KEYS, ORDER_KEY))
    # One editor per filter: its edits are row positions, which mean other rows once the filter changes.
    view = as_percent(view, ("confidence",))
    return edit_table(view, hide_index=True, column_config=config, disabled=cols, key=f"eval_fix_rows|{filters}",
                          height=min(420, 38 + 35 * len(view)))


def _collect(table: pd.DataFrame, edits: dict[str, Any], task: str) -> None:
    """The editor's rows → ``edits`` (text → new label, None to exclude); a cleared row drops its edit."""
    for row in table.itertuples(index=False):
        new = row.new_label
        if row.exclude:
            edits[row.text] = None
        elif new is not None and not pd.isna(new) and str(new).strip() and new != row.label:
            edits[row.text] = float(new) if task == "regression" else str(new).strip()
        else:
            edits.pop(row.text, None)


def _save(run: Any, edits: dict[str, Any]) -> None:
    from tuneboard.errors import TuneboardError
    from tuneboard.evaluate import save_corrected_copy

    cfg = run.config()
    try:
        text_col, label_col = source_columns(cfg)
        path, counts = save_corrected_copy(cfg.data, text_col, label_col, dict(edits), encoding=cfg.encoding,
                                           run_path=run.path, user=auth.current_user())
    except TuneboardError as e:
        show_error(e)
        return
    edits.clear()
    st.session_state["_corrected"] = {"run": run.run_id, "path": str(path), "counts": counts,
                                      "columns": (text_col, label_col)}


def source_columns(cfg: Any) -> tuple[str, str]:
    """The run's text and label columns as named in its data file (detected when the run left them out)."""
    from tuneboard.errors import DataError

    if cfg.label_columns:
        raise DataError(t("mistakes.err.label_columns"))
    detected = cache.detect(cfg.data) if not (cfg.text_column and cfg.label_column) else (None, None)
    return cfg.text_column or detected[0], cfg.label_column or detected[1]


def retrain_offer(run: Any) -> None:
    """After a save: what changed, and one click to train again on the corrected copy."""
    done = st.session_state.get("_corrected")
    if not done or done["run"] != run.run_id:
        return
    counts = done["counts"]
    st.success(t("mistakes.saved", name=plain(Path(done["path"]).name), relabelled=counts["relabelled"],
                 excluded=counts["excluded"], rows=f"{counts['rows']:,}"))
    if st.button(t("mistakes.retrain"), key="eval_retrain_corrected", type="primary",
                 icon=":material/rocket_launch:"):
        cfg = run.config()
        text_col, label_col = done["columns"]
        if cfg.classes:  # the copy holds codes and the names it was corrected to: the run's names read both
            from tuneboard.data import save_names

            save_names(auth.current_user().id, done["path"], label_col, cfg.classes, [c.code for c in cfg.classes])
        trainform.use_dataset(state.demo_dataset(Path(done["path"])).replace(
            example=False, text_column=text_col, label_column=label_col, text_pair_column=cfg.text_pair_column,
            val_size=cfg.val_size, validation=cfg.validation, classes=cfg.classes))
        trainform.prefill(cfg)  # the same model and settings again
        st.session_state.pop("_corrected", None)
        nav.go(nav.TRAIN)
