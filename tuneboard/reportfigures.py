"""Plotly figures of the stakeholder report as plain JSON-ready dicts (``{"data": [...], "layout": {...}}``).

The engine never imports plotly (the CLI and the tests run without the UI layer); a figure is just the
JSON ``Plotly.newPlot`` takes, drawn in the browser by the plotly.js embedded in the report.

Plotly renders some HTML in what a trace draws (``<a href>``, ``<b>``, ``<span style>``), so a class named
``<a href=...>`` would be a live link: every builder returns ``plain_figure(...)``, and the app's figure
builders (components/charts.py) use the same ``plain_label``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from .i18n import t

if TYPE_CHECKING:
    import pandas as pd

INDIGO, AMBER, GREEN, SLATE, RED = "#4F46E5", "#F59E0B", "#10B981", "#64748B", "#EF4444"
FONT = {"family": "Inter, 'Source Sans Pro', Helvetica, Arial, sans-serif", "size": 14, "color": "#1F2937"}
# Metric keys with a readable name (``report.metric_<key>`` in the eval catalog, every one of them).
NAMES = ("accuracy", "macro_f1", "weighted_f1", "micro_f1", "subset_accuracy", "rmse", "mae", "r2", "precision",
         "recall")

Figure = dict[str, Any]
# What a trace draws from the data: categories, names, bar texts, pie labels, hover values.
DRAWN = ("x", "y", "text", "name", "labels", "customdata", "hovertext")


def plain_label(value: Any) -> Any:
    """A string drawn by Plotly as it is. Plotly draws entities (``&lt;``) as their characters, so escaping
    ``&``, ``<`` and ``>`` is enough; anything that is not a string is returned as it is."""
    if not isinstance(value, str) or not any(c in value for c in "<>&"):
        return value
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_values(values: Any) -> Any:
    """``plain_label`` of a string, or of every string in a (nested) list or tuple."""
    if isinstance(values, (list, tuple)):
        return [plain_values(v) for v in values]
    return plain_label(values)


def plain_figure(fig: Figure) -> Figure:
    """``fig`` with every data string its traces draw made plain text (``DRAWN``)."""
    for trace in fig["data"]:
        for key in DRAWN:
            if key in trace:
                trace[key] = plain_values(trace[key])
    return fig


def name(key: str) -> str:
    """The readable name of a metric key in the current language (the key itself when it has none)."""
    return t(f"report.metric_{key}") if key in NAMES else key


def _layout(title: str, height: int = 360, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title, "x": 0, "xanchor": "left"}, "height": height, "font": FONT,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 60}, "plot_bgcolor": "white", "paper_bgcolor": "white",
            **extra}


def metrics_figure(metrics: dict[str, Any], keys: Sequence[str]) -> Figure:
    """The headline numbers of the model beside the TF-IDF baseline's, as grouped bars."""
    keys = [k for k in keys if isinstance(metrics.get(k), (int, float))]
    names = [name(k) for k in keys]
    data = [{"type": "bar", "name": t("report.fig_model"), "x": names, "y": [metrics[k] for k in keys],
             "marker": {"color": INDIGO}, "text": [f"{metrics[k]:.3f}" for k in keys], "textposition": "outside"}]
    base = metrics.get("baseline") or {}
    if metrics.get("model_kind") != "tfidf" and any(isinstance(base.get(k), (int, float)) for k in keys):
        data.append({"type": "bar", "name": t("report.fig_baseline"), "x": names, "y": [base.get(k) for k in keys],
                     "marker": {"color": SLATE}, "text": [f"{base[k]:.3f}" if k in base else "" for k in keys],
                     "textposition": "outside"})
    bounded = all(k not in ("rmse", "mae") for k in keys)
    yaxis = {"range": [0, 1.1], "tickformat": ".0%"} if bounded else {"rangemode": "tozero"}
    return plain_figure({"data": data, "layout": _layout(t("report.fig_model_vs_baseline"), barmode="group",
                                                         yaxis=yaxis, legend={"orientation": "h", "y": -0.15})})


def per_class_figure(per_class: dict[str, dict[str, float]]) -> Figure:
    """Precision, recall and F1 per class, grouped bars."""
    names = list(per_class)
    data = [{"type": "bar", "name": title, "x": names, "y": [per_class[n][key] for n in names],
             "marker": {"color": color}}
            for key, title, color in (("precision", name("precision"), SLATE), ("recall", name("recall"), AMBER),
                                      ("f1", "F1", INDIGO))]
    return plain_figure({"data": data, "layout": _layout(t("report.per_class"), barmode="group",
                                                         yaxis={"range": [0, 1.05], "tickformat": ".0%"},
                                                         legend={"orientation": "h", "y": -0.2})})


def confusion_figure(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> Figure:
    """Rows are true labels, columns predicted; the count in every cell."""
    labels = [str(x) for x in labels]
    size = max(360, 60 * len(labels) + 160)
    heat = {"type": "heatmap", "z": [list(r) for r in matrix], "x": labels, "y": labels,
            "colorscale": [[0, "#F8FAFC"], [1, INDIGO]], "showscale": False,
            "texttemplate": "%{z}", "hovertemplate": t("report.fig_confusion_hover")}
    layout = _layout(t("report.fig_confusion"), height=size,
                     xaxis={"title": {"text": t("report.fig_predicted")}, "type": "category"},
                     yaxis={"title": {"text": t("report.fig_true")}, "type": "category", "autorange": "reversed"})
    layout["margin"]["l"] = 140
    return plain_figure({"data": [heat], "layout": layout})


def slices_figure(table: pd.DataFrame, limit: int = 12) -> Figure:
    """Accuracy per slice with its 95 % interval as error bars, worst first."""
    top = table.head(limit)
    names = [f"{by}: {value}" for by, value in zip(top["by"], top["value"], strict=True)]
    acc = top["accuracy"].tolist()
    bar = {"type": "bar", "orientation": "h", "y": names, "x": acc, "marker": {"color": AMBER},
           "error_x": {"type": "data", "symmetric": False, "array": (top["high"] - top["accuracy"]).tolist(),
                       "arrayminus": (top["accuracy"] - top["low"]).tolist(), "color": SLATE},
           "customdata": top["rows"].tolist(),
           "hovertemplate": t("report.fig_slices_hover")}
    layout = _layout(t("report.fig_slices"), height=max(300, 34 * len(names) + 120),
                     xaxis={"range": [0, 1.05], "tickformat": ".0%"}, yaxis={"autorange": "reversed"})
    layout["margin"]["l"] = 220
    return plain_figure({"data": [bar], "layout": layout})
