"""Figures and widgets of the Deploy and Monitor pages. Figure builders are pure: data in, figure out."""
from __future__ import annotations

from typing import Any, Sequence

import plotly.graph_objects as go

from components.charts import AMBER, FONT, INDIGO, plain_traces
from tuneboard.i18n import t


def _look(fig: go.Figure, title: str, height: int, x_title: str, y_title: str) -> go.Figure:
    plain_traces(fig)  # label names come from the data
    fig.update_layout(template="plotly_white", height=height, font=FONT, margin=dict(l=10, r=10, t=48, b=10),
                      title=dict(text=title, font=dict(size=18), x=0, xanchor="left"), barmode="group",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1))
    fig.update_xaxes(title=x_title, gridcolor="#EEF0F5")
    fig.update_yaxes(title=y_title, gridcolor="#EEF0F5")
    return fig


def requests_figure(per_minute: Any, height: int = 280) -> go.Figure:
    """Served predictions per minute (a Series indexed by minute)."""
    # Each bar one minute wide, one tick per minute: with a single minute of traffic Plotly's automatic
    # axis otherwise zooms to sub-millisecond ticks (08:05:59.9996) under one bar filling the chart.
    fig = go.Figure(go.Bar(x=list(per_minute.index), y=list(per_minute.values), marker_color=INDIGO,
                           name=t("serve.predictions"), width=[60_000] * len(per_minute)))
    fig = _look(fig, t("serve.per_minute"), height, t("serve.minute"), t("serve.predictions"))
    fig.update_xaxes(type="date", tickformat="%H:%M", dtick=60_000)
    return fig


def _shares(counts: Sequence[float]) -> list[float]:
    total = float(sum(counts)) or 1.0
    return [c / total for c in counts]


def versus_validation_figure(names: Sequence[str], served: Sequence[float], validation: Sequence[float] | None,
                             title: str, x_title: str, height: int = 300) -> go.Figure:
    """Served vs validation shares over the same categories (labels or confidence bins)."""
    fig = go.Figure(go.Bar(x=list(names), y=_shares(served), name=t("serve.served"), marker_color=INDIGO))
    if validation is not None:
        fig.add_trace(go.Bar(x=list(names), y=_shares(validation), name=t("serve.validation"), marker_color=AMBER))
    fig = _look(fig, title, height, x_title, t("serve.share"))
    fig.update_yaxes(tickformat=".0%")
    return fig


def bin_names(bins: Sequence[float]) -> list[str]:
    return [f"{lo:.1f}-{hi:.1f}" for lo, hi in zip(bins[:-1], bins[1:], strict=True)]


def formats_table(rows: list[dict[str, Any]]) -> Any:
    """The deployment-aware evaluation as a DataFrame with readable column names."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    metric = frame["metric"].iloc[0]
    return pd.DataFrame({t("serve.format"): frame["name"], t("serve.size"): frame["size_mb"].round(2),
                         t("serve.p50"): frame["p50_ms"].round(2),
                         t("serve.rows_per_s"): frame["rows_per_s"].round(0),
                         t("serve.validation_metric", metric=metric): frame["value"],
                         t("serve.agreement"): frame["label_agreement"]})
