"""Plotly figure builders of the Evaluate and Compare pages. Pure: data in, ``go.Figure`` out.

They share the look of ``charts`` (colours, fonts, ``_style``) so every page reads the same on a projector.
"""
from __future__ import annotations

from typing import Any, Sequence

import plotly.graph_objects as go

from tuneboard.i18n import t
from tuneboard.protocol import Baseline, Evaluation, TrainStep, parse_events

from .charts import AMBER, GREEN, INDIGO, RED, SLATE, downsample, pretty, style

# One colour per run on the Compare page (then it repeats).
RUN_COLORS = (INDIGO, AMBER, GREEN, RED, SLATE, "#0EA5E9", "#A855F7", "#EC4899")
DIAGONAL = dict(color=SLATE, dash="dot", width=2)


def clickable_confusion_figure(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> go.Figure:
    """``charts.confusion_figure`` plus an invisible marker on every cell: Plotly cannot select heatmap cells,
    so a click on a cell selects its marker, whose x/y are the predicted and true labels."""
    from .charts import confusion_figure, plain_text

    fig = confusion_figure(labels, matrix, title=None)  # its axes show the labels escaped: so do the markers
    fig.update_xaxes(title=t("evalchart.cm_predicted"))
    fig.update_yaxes(title=t("evalchart.cm_true"))
    cells = [(plain_text(str(p)), plain_text(str(t)), matrix[i][j])
             for i, t in enumerate(labels) for j, p in enumerate(labels)]
    clear = dict(opacity=0)
    fig.add_scatter(x=[c[0] for c in cells], y=[c[1] for c in cells], mode="markers", customdata=[c[2] for c in cells],
                    marker=dict(symbol="square", size=44, color="rgba(0,0,0,0)"), selected=dict(marker=clear),
                    unselected=dict(marker=clear), showlegend=False,
                    hovertemplate=t("evalchart.hover_cell"))  # Plotly's %{...}: t() fills nothing
    fig.update_layout(clickmode="event+select", dragmode=False)
    return fig


def roc_figure(fpr: Sequence[float], tpr: Sequence[float], auc: float | None = None, height: int = 340) -> go.Figure:
    """ROC curve against the chance diagonal; the AUC in the title."""
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=DIAGONAL, name=t("evalchart.chance"), hoverinfo="skip")
    x, y = downsample(fpr, tpr)
    fig.add_scatter(x=x, y=y, mode="lines", line=dict(color=INDIGO, width=3), name=t("evalchart.model"), fill="tozeroy",
                    fillcolor="rgba(79,70,229,0.08)",
                    hovertemplate=t("evalchart.hover_roc"))
    title = t("evalchart.roc") + (f" · AUC {auc:.3f}" if auc is not None else "")
    return _unit_square(fig, title, height, t("evalchart.fpr"), t("evalchart.tpr"))


def pr_figure(precision: Sequence[float], recall: Sequence[float], auc: float | None = None,
              base_rate: float | None = None, height: int = 340) -> go.Figure:
    """Precision against recall; ``base_rate`` (share of positives) is what a coin would score."""
    fig = go.Figure()
    if base_rate is not None:
        fig.add_hline(y=base_rate, line=DIAGONAL, annotation_text=t("evalchart.chance_note"),
                      annotation_position="bottom left")
    x, y = downsample(recall, precision)
    fig.add_scatter(x=x, y=y, mode="lines", line=dict(color=GREEN, width=3), name=t("evalchart.model"),
                    hovertemplate=t("evalchart.hover_pr"))
    title = t("evalchart.pr") + (f" · AP {auc:.3f}" if auc is not None else "")
    return _unit_square(fig, title, height, t("eval.recall"), t("eval.precision"))


def _unit_square(fig: go.Figure, title: str, height: int, x_title: str, y_title: str) -> go.Figure:
    """Both axes from 0 to 100 %: the frame of the ROC and precision-recall curves."""
    fig = style(fig, title, height, x_title=x_title, legend=False)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", title=y_title)
    return fig


def threshold_figure(rows: Sequence[dict[str, float]], chosen: float | None = None, saved: float | None = None,
                     height: int = 340) -> go.Figure:
    """Precision, recall and F1 of the positive class at every threshold; chosen and saved ones marked."""
    xs = [r["threshold"] for r in rows]
    fig = go.Figure()
    for key, color in (("precision", INDIGO), ("recall", AMBER), ("f1", GREEN)):  # eval.precision, eval.recall
        fig.add_scatter(x=xs, y=[r[key] for r in rows], mode="lines", name=t(f"eval.{key}") if key != "f1" else "F1",
                        line=dict(color=color, width=3), hovertemplate="%{y:.1%}<extra>" + key + "</extra>")
    if saved is not None:
        fig.add_vline(x=saved, line=dict(color=SLATE, dash="dot"), annotation_text=t("evalchart.saved"),
                      annotation_position="bottom right")
    if chosen is not None and chosen != saved:
        fig.add_vline(x=chosen, line=dict(color=RED, width=2), annotation_text=t("evalchart.chosen"),
                      annotation_position="top right")
    fig = style(fig, t("evalchart.by_threshold"), height, x_title=t("eval.threshold"))
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    return fig


def reliability_figure(bins: Sequence[dict[str, Any]], ece: float | None = None, height: int = 340) -> go.Figure:
    """Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration."""
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=DIAGONAL, name=t("evalchart.perfect"), hoverinfo="skip")
    fig.add_bar(x=[(b["low"] + b["high"]) / 2 for b in bins], y=[b["accuracy"] for b in bins],
                width=[(b["high"] - b["low"]) * 0.9 for b in bins], marker_color=INDIGO, opacity=0.85,
                name=t("evalchart.accuracy"),
                customdata=[[b["confidence"], b["count"]] for b in bins],
                hovertemplate=t("evalchart.hover_reliability"))
    title = t("eval.calibration") + (f" · ECE {ece:.3f}" if ece is not None else "")
    fig = style(fig, title, height, x_title=t("evalchart.confidence"), legend=False)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", title=t("evalchart.share_correct"))
    return fig


def per_label_figure(per_class: dict[str, dict[str, float]], height: int | None = None) -> go.Figure:
    """F1 per label (multi-label runs), weakest at the bottom, with the label's row count in the hover."""
    items = sorted(per_class.items(), key=lambda kv: kv[1]["f1"])
    fig = go.Figure(go.Bar(y=[k for k, _ in items], x=[v["f1"] for _, v in items], orientation="h",
                           marker_color=INDIGO, text=[f"{v['f1']:.1%}" for _, v in items], textposition="outside",
                           cliponaxis=False, customdata=[v["support"] for _, v in items],
                           hovertemplate=t("evalchart.hover_per_label")))
    fig = style(fig, t("evalchart.f1_per_label"), height or max(260, 80 + 40 * len(items)), legend=False)
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%")
    fig.update_yaxes(automargin=True)
    return fig


def regression_figure(true: Sequence[float], predicted: Sequence[float], height: int = 420) -> go.Figure:
    """Predicted against true values; points on the diagonal are exact."""
    true, predicted = list(true)[:20_000], list(predicted)[:20_000]
    low, high = min(true + predicted, default=0.0), max(true + predicted, default=1.0)
    fig = go.Figure()
    fig.add_scatter(x=[low, high], y=[low, high], mode="lines", line=DIAGONAL, name=t("evalchart.exact"),
                    hoverinfo="skip")
    fig.add_scatter(x=true, y=predicted, mode="markers", name=t("eval.rows"),
                    marker=dict(color=INDIGO, size=9, opacity=0.6),
                    hovertemplate=t("evalchart.hover_regression"))
    fig = style(fig, t("evalchart.predicted_vs_true"), height, x_title=t("evalchart.true_value"), legend=False)
    fig.update_yaxes(title=t("evalchart.predicted"), scaleanchor="x", scaleratio=1)
    return fig


def compare_loss_figure(histories: dict[str, Sequence[dict[str, Any]]], height: int = 400) -> go.Figure:
    """Train loss (solid) and validation loss (dotted, markers) of several runs against the epoch."""
    fig = go.Figure()
    for (name, events), color in zip(histories.items(), _cycle(), strict=False):
        parsed = parse_events(events)
        train = [e for e in parsed if isinstance(e, TrainStep)]
        evals = [e for e in parsed if isinstance(e, Evaluation) and e.eval_loss is not None]
        if train:
            x, y = downsample([e.epoch for e in train], [e.loss for e in train])
            fig.add_scatter(x=x, y=y, mode="lines", name=f"{name} · {t('evalchart.train')}", legendgroup=name,
                            line=dict(color=color, width=3))
        if evals:
            fig.add_scatter(x=[e.epoch for e in evals], y=[e.eval_loss for e in evals], mode="lines+markers",
                            name=f"{name} · {t('evalchart.validation')}", legendgroup=name,
                            line=dict(color=color, width=2, dash="dot"), marker=dict(size=9))
    return _legend_below(style(fig, t("evalchart.loss"), height, x_title=t("evalchart.epoch")))


def compare_metric_figure(histories: dict[str, Sequence[dict[str, Any]]], metric: str, height: int = 400) -> go.Figure:
    """One validation metric per evaluation for several runs; a run's baseline as a dashed line of its colour."""
    fig = go.Figure()
    for (name, events), color in zip(histories.items(), _cycle(), strict=False):
        parsed = parse_events(events)
        evals = [e for e in parsed if isinstance(e, Evaluation) and _value(e, metric) is not None]
        fig.add_scatter(x=[e.epoch for e in evals], y=[_value(e, metric) for e in evals], mode="lines+markers",
                        name=name, line=dict(color=color, width=3), marker=dict(size=10))
        base = next((e.metrics[metric] for e in parsed
                     if isinstance(e, Baseline) and e.metrics.get(metric) is not None), None)
        if base is not None:
            fig.add_hline(y=base, line=dict(color=color, width=1, dash="dash"), opacity=0.6)
    fig = _legend_below(style(fig, t("evalchart.validation_metric", metric=pretty(metric)), height,
                              x_title=t("evalchart.epoch")))
    if metric not in ("rmse", "mae", "r2", "eval_loss"):
        fig.update_yaxes(tickformat=".0%")
    return fig


def _legend_below(fig: go.Figure) -> go.Figure:
    # Run names are long: below the chart they have the full width instead of covering the title.
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0))
    return fig


def _value(event: Evaluation, metric: str) -> float | None:
    return event.eval_loss if metric == "eval_loss" else event.metrics.get(metric)


def _cycle() -> Any:
    while True:
        yield from RUN_COLORS
