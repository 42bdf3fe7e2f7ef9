"""Sections of the Evaluate page: coaching, headline and baseline, and the views of each task."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tuneboard.i18n import t
from tuneboard.paths import RunFiles
from tuneboard.protocol import BASELINE_MODEL, HEADLINES

from . import auth, charts, evalcharts
from .charts import PLOTLY_CONFIG
from .tables import show_table
from .widgets import as_percent, fmt_metric, percent_column, plain, show_error, titled

THRESHOLD_KEY = "eval_threshold"
CALLOUTS = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}


def metric_name(key: str) -> str:
    """A headline metric's name in the page's language (every HEADLINES key has ``eval.metric_<key>``)."""
    return t(f"eval.metric_{key}") if any(key in keys for keys in HEADLINES.values()) else charts.pretty(key)


def coaching(history: list[dict[str, Any]], metrics: dict[str, Any], run_path: Any = None) -> None:
    """The coach's tips as coloured callouts, most important first, one sentence each; with ``run_path``,
    also whether the model reads the texts' language (its tokenizer on the validation texts)."""
    from pathlib import Path

    from tuneboard.evaluate import BASELINE_TIPS, coach

    predictions = Path(run_path or ".") / RunFiles.PREDICTIONS
    reading = _reading(str(run_path), predictions.stat().st_mtime) if run_path and predictions.is_file() else None
    for tip in coach(history, metrics, reading):
        if tip["kind"] in BASELINE_TIPS:  # said once, beside the baseline tile (see ``headline``)
            continue
        CALLOUTS.get(tip["severity"], st.info)(titled(tip["title"], tip["advice"]))


@st.cache_data(max_entries=8, show_spinner=False)
def _reading(run_path: str, mtime: float) -> Any:  # mtime: a retrained run is read again
    from tuneboard.data import run_reading

    return run_reading(run_path)


def headline(metrics: dict[str, Any]) -> None:
    """The task's main numbers, then the baseline's main number with the model's lead over it as delta."""
    task, main = metrics["task"], metrics.get("main_metric")
    tiles = [(metric_name(k), fmt_metric(k, metrics[k]), None, "normal") for k in HEADLINES[task] if k in metrics]
    tiles.append((t("eval.validation_rows"), f"{metrics.get('n_val', metrics.get('n', 0)):,}", None, "normal"))
    gain = baseline_gain(metrics)
    if gain is not None:
        base = metrics["baseline"][main]
        tiles.append((t("eval.baseline_tile", metric=metric_name(main)), fmt_metric(main, base),
                      _signed(metrics[main] - base, main),
                      "normal" if metrics.get("higher_is_better", True) else "inverse"))
    for col, (name, value, delta, color) in zip(st.columns(len(tiles)), tiles, strict=False):
        col.metric(name, value, delta=delta, delta_color=color, border=True)
    gain = baseline_gain(metrics) if metrics.get("model_kind") != BASELINE_MODEL else None
    callout = st.info if gain is None or abs(gain) < 0.005 else st.success if gain > 0 else st.warning
    callout(baseline_sentence(metrics))


def baseline_gain(metrics: dict[str, Any]) -> float | None:
    """How far the model is ahead of its baseline on the main metric (negative: behind); None without one."""
    main, base = metrics.get("main_metric"), metrics.get("baseline") or {}
    if not isinstance(base.get(main), (int, float)) or not isinstance(metrics.get(main), (int, float)):
        return None
    gain = metrics[main] - base[main]
    return gain if metrics.get("higher_is_better", True) else -gain


def baseline_sentence(metrics: dict[str, Any]) -> str:
    """Whether fine-tuning was worth it, in plain words."""
    main = metrics.get("main_metric")
    if metrics.get("model_kind") == BASELINE_MODEL:
        return t("eval.baseline_is_baseline")
    gain = baseline_gain(metrics)
    if gain is None:
        return t("eval.baseline_none")
    base, name = metrics["baseline"][main], metric_name(main)
    size = t("eval.points", points=f"{abs(gain) * 100:.1f}") if metrics.get("higher_is_better", True) \
        else f"{abs(gain):.3g}"
    both = t("eval.baseline_both", ours=fmt_metric(main, metrics[main]), base=fmt_metric(main, base), metric=name)
    if abs(gain) < 0.005:
        return t("eval.baseline_tie", both=both)
    return t("eval.baseline_beat" if gain > 0 else "eval.baseline_not_beat", size=size, both=both)


def _signed(diff: float, metric: str) -> str:
    return f"{diff:+.3g}" if metric in ("rmse", "mae", "r2") else t("eval.pts", diff=f"{diff * 100:+.1f}")


def per_class(metrics: dict[str, Any], select_key: str | None = None, on_select: Any = None,
              descriptions: dict[str, str] | None = None) -> None:
    """Per-class table beside the confusion matrix (clicking a cell calls ``on_select``), with the classes'
    descriptions when they have any."""
    left, right = st.columns([5, 4], gap="medium")
    table = pd.DataFrame.from_dict(metrics["per_class"], orient="index").rename_axis("Class").reset_index()
    if descriptions:
        table.insert(1, "Description", table["Class"].map(lambda name: descriptions.get(name, "")))
    table = table.rename(columns={"precision": "Precision", "recall": "Recall", "f1": "F1", "support": "Rows"})
    left.subheader(t("eval.per_class") if metrics["task"] == "single_label" else t("eval.per_label"))
    show_table(as_percent(table, ("Precision", "Recall", "F1")), left, hide_index=True, column_config={
        "Class": t("eval.col_class"), "Description": st.column_config.TextColumn(t("classes.description")),
        "Precision": percent_column(t("eval.precision"), width="small"),
        "Recall": percent_column(t("eval.recall"), width="small"),
        "F1": percent_column("F1", progress=True, width="small"),
        "Rows": st.column_config.NumberColumn(t("eval.rows"), width="small")})
    if note := weighting_note(metrics):
        left.caption(note)
    matrix = metrics.get("confusion_matrix")
    if matrix:
        right.subheader(t("eval.confusion_title"))
        right.caption(t("eval.confusion_click"))
        right.plotly_chart(evalcharts.clickable_confusion_figure(matrix["labels"], matrix["matrix"]),
                           config=PLOTLY_CONFIG, on_select=on_select or "ignore", selection_mode="points",
                           key=select_key)
    else:
        right.plotly_chart(evalcharts.per_label_figure(metrics["per_class"]), config=PLOTLY_CONFIG)




def weighting_note(metrics: dict[str, Any]) -> str:
    """Which class weighting the run trained with, and how imbalanced its classes were (read the recall above)."""
    how, ratio = metrics.get("class_weighting"), metrics.get("imbalance_ratio")
    if how is None:
        return ""
    how_text = t(f"eval.weighting_{how}") if how in ("weighted", "sampling", "none") else how  # every key in eval.json
    if ratio:
        return t("eval.weighting_imbalanced", ratio=f"{ratio:g}", how=how_text)
    return t("eval.weighting_note", how=how_text)


def binary(run: Any, metrics: dict[str, Any], frame: pd.DataFrame | None) -> None:
    """ROC and PR curves, and the decision-threshold slider with Save."""
    st.subheader(t("eval.binary_title"))
    roc, pr = st.columns(2)
    if metrics.get("roc_curve"):
        roc.plotly_chart(evalcharts.roc_figure(metrics["roc_curve"]["fpr"], metrics["roc_curve"]["tpr"],
                                               metrics.get("roc_auc")), config=PLOTLY_CONFIG)
        positives = metrics["per_class"][metrics["labels"][1]]["support"] / max(metrics.get("n", 1), 1)
        pr.plotly_chart(evalcharts.pr_figure(metrics["pr_curve"]["precision"], metrics["pr_curve"]["recall"],
                                             metrics.get("pr_auc"), positives), config=PLOTLY_CONFIG)
    if frame is not None:
        threshold(run, metrics, frame)


def threshold(run: Any, metrics: dict[str, Any], frame: pd.DataFrame) -> None:
    from tuneboard.errors import TuneboardError
    from tuneboard.evaluate import set_threshold
    from tuneboard.predict import threshold_table

    positive, saved = metrics["labels"][1], float(metrics.get("threshold", 0.5))
    rows = threshold_table((frame["label"] == positive).to_numpy(int), frame[f"score_{positive}"].to_numpy(float))
    controls, chart = st.columns([2, 3], gap="large")
    with controls:
        st.markdown(t("eval.threshold_explain", label=plain(positive), saved=f"{saved:.2f}"))
        chosen = st.slider(t("eval.threshold"), 0.01, 0.99, saved, step=0.01, key=THRESHOLD_KEY)
        at = min(rows, key=lambda r: abs(r["threshold"] - chosen))
        a, b, c = st.columns(3)
        a.metric(t("eval.precision"), f"{at['precision']:.1%}")
        b.metric(t("eval.recall"), f"{at['recall']:.1%}")
        c.metric("F1", f"{at['f1']:.1%}")
        may_save = auth.allowed("set_threshold", run.path)
        if may_save and st.button(t("eval.save_threshold"), key="eval_save_threshold", type="primary",
                                  disabled=abs(chosen - saved) < 1e-9, icon=":material/save:"):
            try:
                set_threshold(run.path, chosen, user=auth.current_user())
                st.toast(t("eval.threshold_saved", threshold=f"{chosen:.2f}"))
                st.rerun()
            except TuneboardError as e:
                show_error(e)
    chart.plotly_chart(evalcharts.threshold_figure(rows, chosen, saved), config=PLOTLY_CONFIG)


def calibration(metrics: dict[str, Any]) -> None:
    """Reliability diagram and what the ECE means."""
    cal = metrics.get("calibration") or {}
    if not cal.get("bins"):
        return
    text, chart = st.columns([2, 3], gap="large")
    text.subheader(t("eval.calibration"))
    text.metric(t("eval.ece"), f"{cal['ece']:.3f}", border=True, help=t("eval.ece_help"))
    text.caption(t("eval.calibration_caption", ece=f"{cal['ece']:.2f}", off=f"{cal['ece']:.0%}"))
    chart.plotly_chart(evalcharts.reliability_figure(cal["bins"], cal["ece"]), config=PLOTLY_CONFIG)


def regression(frame: pd.DataFrame | None) -> None:
    """Predicted-vs-true scatter beside the error distribution."""
    if frame is None:
        return
    scatter, hist = st.columns([3, 2], gap="large")
    scatter.plotly_chart(evalcharts.regression_figure(frame["label"], frame["predicted"]), config=PLOTLY_CONFIG)
    hist.plotly_chart(charts.histogram_figure(frame["error"], title=t("eval.errors_histogram"), height=420),
                      config=PLOTLY_CONFIG)
