"""Sections of the Evaluate page: coaching, headline and baseline, and the views of each task."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tuneboard.protocol import BASELINE_MODEL

from . import auth, charts, evalcharts
from .charts import PLOTLY_CONFIG
from .widgets import fmt_metric, plain, show_error

HEADLINES = {"single_label": ("accuracy", "macro_f1", "weighted_f1"),
             "multi_label": ("micro_f1", "macro_f1", "subset_accuracy"), "regression": ("rmse", "mae", "r2")}
THRESHOLD_KEY = "eval_threshold"
CALLOUTS = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}


def coaching(history: list[dict[str, Any]], metrics: dict[str, Any]) -> None:
    """The coach's tips as coloured callouts, most important first, one sentence each."""
    from tuneboard.coaching import BASELINE_TIPS, coach

    for tip in coach(history, metrics):
        if tip["kind"] in BASELINE_TIPS:  # said once, beside the baseline tile (see ``headline``)
            continue
        CALLOUTS.get(tip["severity"], st.info)(f"**{plain(tip['title'])}.** {plain(tip['advice'])}")


def headline(metrics: dict[str, Any]) -> None:
    """The task's main numbers, then the baseline's main number with the model's lead over it as delta."""
    task, main = metrics["task"], metrics.get("main_metric")
    tiles = [(charts.pretty(k), fmt_metric(k, metrics[k]), None, "normal") for k in HEADLINES[task] if k in metrics]
    tiles.append(("Validation rows", f"{metrics.get('n_val', metrics.get('n', 0)):,}", None, "normal"))
    gain = baseline_gain(metrics)
    if gain is not None:
        base = metrics["baseline"][main]
        tiles.append((f"TF-IDF baseline {charts.pretty(main)}", fmt_metric(main, base),
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
        return ("This run **is** the TF-IDF baseline (a linear model on word or character n-grams): instant and "
                "tiny. Fine-tune a transformer on the same data to see whether it is worth the extra time.")
    gain = baseline_gain(metrics)
    if gain is None:
        return "No TF-IDF baseline was recorded for this run."
    base, name = metrics["baseline"][main], charts.pretty(main)
    size = f"{abs(gain) * 100:.1f} points" if metrics.get("higher_is_better", True) else f"{abs(gain):.3g}"
    both = f"{fmt_metric(main, metrics[main])} vs {fmt_metric(main, base)} {name} on the same validation rows"
    if abs(gain) < 0.005:
        return (f"**Practically a tie with the TF-IDF baseline** ({both}): the baseline is instant and tiny, "
                "so it may be the better deal.")
    verdict = "beat" if gain > 0 else "did **not** beat"
    advice = ("" if gain > 0 else " Try more epochs or a larger model, or keep the TF-IDF model: it is instant "
              "and tiny (pick it on Train).")
    return f"**The fine-tuned model {verdict} the TF-IDF baseline** by {size} ({both}).{advice}"


def _signed(diff: float, metric: str) -> str:
    return f"{diff:+.3g}" if metric in ("rmse", "mae", "r2") else f"{diff * 100:+.1f} pts"


def per_class(metrics: dict[str, Any], select_key: str | None = None, on_select: Any = None) -> None:
    """Per-class table beside the confusion matrix (clicking a cell calls ``on_select``)."""
    left, right = st.columns([5, 4], gap="medium")
    table = pd.DataFrame.from_dict(metrics["per_class"], orient="index").rename_axis("Class").reset_index()
    table = table.rename(columns={"precision": "Precision", "recall": "Recall", "f1": "F1", "support": "Rows"})
    left.subheader("Per class" if metrics["task"] == "single_label" else "Per label")
    left.dataframe(table, hide_index=True, column_config={
        "Precision": st.column_config.NumberColumn(format="percent", width="small"),
        "Recall": st.column_config.NumberColumn(format="percent", width="small"),
        "F1": st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent", width="small"),
        "Rows": st.column_config.NumberColumn(width="small")})
    if note := weighting_note(metrics):
        left.caption(note)
    matrix = metrics.get("confusion_matrix")
    if matrix:
        right.subheader("Confusion matrix")
        right.caption("Click a cell to list those rows below.")
        right.plotly_chart(evalcharts.clickable_confusion_figure(matrix["labels"], matrix["matrix"]),
                           config=PLOTLY_CONFIG, on_select=on_select or "ignore", selection_mode="points",
                           key=select_key)
    else:
        right.plotly_chart(evalcharts.per_label_figure(metrics["per_class"]), config=PLOTLY_CONFIG)


WEIGHTING_TEXT = {"weighted": "a class-weighted loss (rare classes count more)",
                  "sampling": "class-balanced batches (rare classes drawn more often)", "none": "no class weighting"}


def weighting_note(metrics: dict[str, Any]) -> str:
    """Which class weighting the run trained with, and how imbalanced its classes were (read the recall above)."""
    how, ratio = metrics.get("class_weighting"), metrics.get("imbalance_ratio")
    if how is None:
        return ""
    imbalance = f"The largest class had {ratio:g}x the training rows of the smallest; " if ratio else ""
    return f"{imbalance}trained with {WEIGHTING_TEXT.get(how, how)}."


def binary(run: Any, metrics: dict[str, Any], frame: pd.DataFrame | None) -> None:
    """ROC and PR curves, and the decision-threshold slider with Save."""
    st.subheader("Two classes: curves and decision threshold")
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
    from tuneboard.evaluation import set_threshold
    from tuneboard.metrics import threshold_table

    positive, saved = metrics["labels"][1], float(metrics.get("threshold", 0.5))
    rows = threshold_table((frame["label"] == positive).to_numpy(int), frame[f"score_{positive}"].to_numpy(float))
    controls, chart = st.columns([2, 3], gap="large")
    with controls:
        st.markdown(f"A row is called **{plain(positive)}** when its score reaches the threshold. "
                    f"Saved threshold: **{saved:.2f}** (used by Predict, batch predictions and the CLI).")
        chosen = st.slider("Decision threshold", 0.01, 0.99, saved, step=0.01, key=THRESHOLD_KEY)
        at = min(rows, key=lambda r: abs(r["threshold"] - chosen))
        a, b, c = st.columns(3)
        a.metric("Precision", f"{at['precision']:.1%}")
        b.metric("Recall", f"{at['recall']:.1%}")
        c.metric("F1", f"{at['f1']:.1%}")
        may_save = auth.allowed("set_threshold", run.path)
        if may_save and st.button("Save threshold", key="eval_save_threshold", type="primary",
                                  disabled=abs(chosen - saved) < 1e-9, icon=":material/save:"):
            try:
                set_threshold(run.path, chosen, user=auth.current_user())
                st.toast(f"Threshold {chosen:.2f} saved with the model.")
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
    text.subheader("Calibration")
    text.metric("Expected calibration error", f"{cal['ece']:.3f}", border=True,
                help="Average gap between how sure the model is and how often it is right (0 is perfect).")
    text.caption("Bars under the diagonal: the model is more confident than it is right; above: less. "
                 f"An ECE of {cal['ece']:.2f} means its confidence is off by about {cal['ece']:.0%} on average.")
    chart.plotly_chart(evalcharts.reliability_figure(cal["bins"], cal["ece"]), config=PLOTLY_CONFIG)


def regression(frame: pd.DataFrame | None) -> None:
    """Predicted-vs-true scatter beside the error distribution."""
    if frame is None:
        return
    scatter, hist = st.columns([3, 2], gap="large")
    scatter.plotly_chart(evalcharts.regression_figure(frame["label"], frame["predicted"]), config=PLOTLY_CONFIG)
    hist.plotly_chart(charts.histogram_figure(frame["error"], title="Errors (predicted − true)", height=420),
                      config=PLOTLY_CONFIG)
