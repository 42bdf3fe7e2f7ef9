"""Plotly figure builders. Pure: data in, ``go.Figure`` out; no Streamlit, no file access.

Every builder bounds what it sends to the browser (``MAX_POINTS`` per line) so a long run costs the
page the same as a short one, and shares one look (``style``) that reads well on a projector.
Titles, axis titles, legend names and hover words are in the current language (``tuneboard.i18n.t``);
the data's own labels never are translated.
"""
from __future__ import annotations

from typing import Any, Sequence

import plotly.graph_objects as go

from tuneboard.evaluate import DRAWN, plain_label, plain_values
from tuneboard.i18n import language, t
from tuneboard.protocol import EarlyStop, Evaluation, Event, Start, TrainStep, parse_event

MAX_POINTS = 500
PLOTLY_CONFIG = {"displaylogo": False}  # the chart toolbar of every st.plotly_chart, without the Plotly logo
INDIGO, AMBER, GREEN, SLATE, RED = "#4F46E5", "#F59E0B", "#10B981", "#64748B", "#EF4444"
FONT = dict(family="Inter, 'Source Sans Pro', sans-serif", size=15, color="#1F2937")


def downsample(xs: Sequence[Any], ys: Sequence[Any], limit: int = MAX_POINTS) -> tuple[list[Any], list[Any]]:
    """Every k-th point so at most ``limit`` remain; the last point is always kept."""
    xs, ys = list(xs), list(ys)
    if len(xs) <= limit:
        return xs, ys
    step = -(-len(xs) // limit)
    keep = list(range(0, len(xs), step))
    if keep[-1] != len(xs) - 1:
        keep[-1] = len(xs) - 1
    return [xs[i] for i in keep], [ys[i] for i in keep]


def training_curves(events: Sequence[Event | dict[str, Any]]) -> dict[str, Any]:
    """Columns of the charts from run events (typed, or history dicts): train loss and learning rate
    per logged step, validation loss and metrics per evaluation. The live panel passes events it
    parsed once (parsing thousands of lines on every refresh would cost the training thread)."""
    train: list[TrainStep] = []
    evals: list[Evaluation] = []
    for e in (parse_event(e) if isinstance(e, dict) else e for e in events):
        if isinstance(e, TrainStep):
            train.append(e)
        elif isinstance(e, Evaluation):
            evals.append(e)
        elif isinstance(e, Start) and e.resumed_from is not None:  # resumed: what came after its checkpoint is void
            train = [t for t in train if t.step <= e.resumed_from]
            evals = [v for v in evals if v.step <= e.resumed_from]
    stop = next((e for e in (parse_event(e) if isinstance(e, dict) else e for e in events)
                 if isinstance(e, EarlyStop)), None)
    metric_keys = [k for k in ("macro_f1", "accuracy", "micro_f1", "rmse", "mae", "r2")
                   if evals and k in evals[-1].metrics]
    return {"step": [e.step for e in train], "loss": [e.loss for e in train],
            "lr": [e.learning_rate for e in train],
            "eval_step": [e.step for e in evals], "eval_loss": [e.eval_loss for e in evals],
            "metrics": {k: [e.metrics.get(k) for e in evals] for k in metric_keys},
            "best_step": next((e.step for e in reversed(evals) if e.is_best), None),
            "stop_step": stop.step if stop else None, "stop_reason": stop.text() if stop else None}


def loss_figure(curves: dict[str, Any], height: int = 340) -> go.Figure:
    """Train loss (line) and validation loss (markers + line) against the step, on one chart."""
    fig = go.Figure()
    x, y = downsample(curves["step"], curves["loss"])
    fig.add_scatter(x=x, y=y, name=t("chart.train_loss"), mode="lines", line=dict(color=INDIGO, width=3))
    if curves["eval_step"]:
        x, y = downsample(curves["eval_step"], curves["eval_loss"])
        fig.add_scatter(x=x, y=y, name=t("chart.validation_loss"), mode="lines+markers",
                        line=dict(color=AMBER, width=3), marker=dict(size=10))
    fig = style(fig, t("chart.loss"), height, x_title=t("chart.step"))
    fig.update_xaxes(rangemode="tozero")  # the three live charts share one step axis from 0
    return fig


def metric_figure(curves: dict[str, Any], height: int = 340) -> go.Figure:
    """Validation metrics per evaluation, with the kept (best) checkpoint marked."""
    fig = go.Figure()
    colors = (GREEN, INDIGO, AMBER, SLATE)
    for (name, values), color in zip(curves["metrics"].items(), colors, strict=False):
        x, y = downsample(curves["eval_step"], values)
        fig.add_scatter(x=x, y=y, name=pretty(name), mode="lines+markers",
                        line=dict(color=color, width=3), marker=dict(size=10))
    if curves.get("best_step") is not None:
        fig.add_vline(x=curves["best_step"], line=dict(color=SLATE, dash="dot"),
                      annotation_text=t("chart.kept"), annotation_position="top left")
    if curves.get("stop_step") is not None:  # early stopping: where and why (the reason is engine text)
        fig.add_vline(x=curves["stop_step"], line=dict(color=RED, dash="dash"),
                      annotation_text=t("chart.stopped_early"), annotation_position="bottom right",
                      annotation_hovertext=curves.get("stop_reason"))
    bounded = all(k in ("macro_f1", "accuracy", "micro_f1") for k in curves["metrics"])
    fig = style(fig, t("chart.validation"), height, x_title=t("chart.step"))
    fig.update_xaxes(rangemode="tozero")  # one evaluation is a point at its step, not an axis of 60..62
    if bounded and curves["metrics"]:
        values = [v for vs in curves["metrics"].values() for v in vs if v is not None]
        low = max(0.0, (min(values, default=0.0) - 0.1) // 0.1 * 0.1)  # zoom in, on a round number
        fig.update_yaxes(range=[low, 1.01], tickformat=".0%")
    return fig


def lr_figure(curves: dict[str, Any], height: int = 220) -> go.Figure:
    x, y = downsample(curves["step"], curves["lr"])
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", line=dict(color=SLATE, width=2), fill="tozeroy",
                               fillcolor="rgba(100,116,139,0.12)", name=t("chart.learning_rate")))
    fig = style(fig, t("chart.learning_rate"), height, x_title=t("chart.step"), legend=False)
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(tickformat=".1e")
    return fig


class LiveCharts:
    """The live panel's loss, metric and learning-rate figures, kept across refreshes.

    Server side: a new train point only moves the train-loss and learning-rate lines, so those
    traces get new x/y in place (~1 ms) instead of a styled, validated figure being built again
    (~30 ms each, all of it Python holding the GIL the training thread needs). A figure is built
    anew only when something else in it changed: an evaluation arrived or the best checkpoint moved.

    Browser side: every refresh sends every chart again, and without ``layout.datarevision`` Plotly
    redraws a chart whose data arrays are new objects even when their values are not (measured: the
    browser drew the panel at ~10 CPU-s per 30 s with unchanged figures, 6.4 with a fixed revision,
    4.6 with no charts). So each figure carries a revision that changes only when its data does, and
    while training the learning-rate line, which nobody reads to the second, moves at most every
    ``slow_every`` seconds. On a 2-core machine the browser's drawing is CPU taken from training.
    """

    def __init__(self, slow_every: float = 5.0) -> None:
        self.slow_every = slow_every
        self._built: dict[str, tuple[Any, go.Figure]] = {}
        self._moved: dict[str, float] = {}
        self._revision = 0

    def figures(self, curves: dict[str, Any], live: bool = True,
                now: float | None = None) -> tuple[go.Figure, go.Figure, go.Figure]:
        """Up-to-date figures; with ``live`` (a run in progress) the slow lines may lag a little."""
        import time

        now = time.monotonic() if now is None else now
        evals = (tuple(curves["eval_step"]), tuple(curves["eval_loss"]))
        metrics = (evals, tuple((k, tuple(v)) for k, v in curves["metrics"].items()), curves.get("best_step"),
                   curves.get("stop_step"))
        train = downsample(curves["step"], curves["loss"])
        lr = downsample(curves["step"], curves["lr"])
        lr_due = not live or now - self._moved.get("lr", -1e9) >= self.slow_every
        return (self._get("loss", evals, loss_figure, curves, train, now),
                self._get("metric", metrics, metric_figure, curves, None, now),
                self._get("lr", (), lr_figure, curves, lr if lr_due else None, now))

    def _get(self, name: str, shape: Any, build: Any, curves: dict[str, Any],
             line: tuple[list[Any], list[Any]] | None, now: float) -> go.Figure:
        kept, shape = self._built.get(name), (language(), shape)  # a new language redraws the words too
        if kept is None or kept[0] != shape:
            fig = build(curves)
            self._built[name] = (shape, fig)
        else:
            fig = kept[1]
            if line is None or (list(fig.data[0].x or ()), list(fig.data[0].y or ())) == line:
                return fig
            with fig.batch_update():
                fig.data[0].x, fig.data[0].y = line
        self._revision += 1  # one counter for all: a rebuilt figure never reuses an old revision
        fig.layout.datarevision = self._revision
        self._moved[name] = now
        return fig


def class_balance_figure(
    train: dict[str, int], val: dict[str, int] | None = None, height: int | None = None
) -> go.Figure:
    """Horizontal stacked bars: examples per class in training and validation."""
    labels = sorted(train, key=lambda k: train[k] + (val or {}).get(k, 0))
    fig = go.Figure()
    fig.add_bar(y=labels, x=[train[k] for k in labels], name=t("chart.training"), orientation="h",
                marker_color=INDIGO)
    if val:
        fig.add_bar(y=labels, x=[val.get(k, 0) for k in labels], name=t("chart.validation"), orientation="h",
                    marker_color=AMBER)
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig = style(fig, t("chart.examples_per_class"), height or max(340, 80 + 40 * len(labels)), x_title=t("chart.rows"))
    fig.update_yaxes(automargin=True)
    return fig


def confusion_figure(labels: Sequence[str], matrix: Sequence[Sequence[int]], height: int | None = None,
                     title: str | None = "") -> go.Figure:
    """Confusion matrix as a heatmap, coloured by share of each true class (row), annotated with counts.
    ``title`` "" is the usual title in the current language; None is none."""
    title = t("chart.confusion_matrix") if title == "" else title
    shares = [[c / max(sum(row), 1) for c in row] for row in matrix]
    text = [[f"{c}" for c in row] for row in matrix]
    fig = go.Figure(go.Heatmap(z=shares, x=list(labels), y=list(labels), text=text, texttemplate="%{text}",
                               textfont=dict(size=16), colorscale=[[0, "#F8FAFC"], [1, INDIGO]], zmin=0, zmax=1,
                               showscale=False,
                               hovertemplate=t("chart.confusion_hover") + "<extra></extra>"))
    fig = style(fig, title, height or max(320, 120 + 48 * len(labels)), x_title=t("chart.predicted"),
                 legend=False)
    fig.update_yaxes(title=t("chart.true"), autorange="reversed", automargin=True)
    fig.update_xaxes(side="bottom", automargin=True, showgrid=False)
    return fig


def probability_figure(scores: dict[str, float], height: int | None = None) -> go.Figure:
    """Probability per class, highest on top; the predicted class in the accent colour."""
    items = sorted(scores.items(), key=lambda kv: kv[1])
    top = items[-1][0] if items else None
    fig = go.Figure(go.Bar(y=[k for k, _ in items], x=[v for _, v in items], orientation="h",
                           marker_color=[INDIGO if k == top else "#CBD5E1" for k, _ in items],
                           text=[f"{v:.1%}" for _, v in items], textposition="outside", cliponaxis=False))
    fig = style(fig, None, height or max(200, 50 + 40 * len(items)), legend=False)
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%", showgrid=False)
    fig.update_yaxes(automargin=True)
    return fig


def pretty(name: str) -> str:
    """Human name of a metric key, in the current language."""
    return {"macro_f1": "Macro-F1", "micro_f1": "Micro-F1", "accuracy": t("metric.accuracy"), "rmse": "RMSE",
            "mae": "MAE", "r2": "R²", "eval_loss": t("chart.validation_loss"), "weighted_f1": t("metric.weighted_f1"),
            "subset_accuracy": t("metric.subset_accuracy")}.get(name, name.replace("_", " ").capitalize())


plain_text = plain_label  # one rule for the app's charts and the report's (tuneboard/evaluate/report_figures.py)


def plain_traces(fig: go.Figure) -> go.Figure:
    """Escape every user string a trace draws (``reportfigures.DRAWN``: categories, names, texts, hover values)."""
    for trace in fig.data:
        for attr in DRAWN:
            values = getattr(trace, attr, None)
            if isinstance(values, str) or (isinstance(values, (list, tuple)) and _has_text(values)):
                trace[attr] = plain_values(values)
    return fig


def _has_text(values: Any) -> bool:
    return any(isinstance(v, str) or (isinstance(v, (list, tuple)) and _has_text(v)) for v in values)


def style(fig: go.Figure, title: str | None, height: int, x_title: str | None = None,
           legend: bool = True) -> go.Figure:
    """The house look of every figure; also makes every string a trace draws plain text (see ``plain_text``)."""
    plain_traces(fig)
    fig.update_layout(
        template="plotly_white", height=height, font=FONT, margin=dict(l=10, r=10, t=48 if title else 10, b=10),
        title=dict(text=title, font=dict(size=18), x=0, xanchor="left") if title else None,
        showlegend=legend, legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        hoverlabel=dict(font_size=14), uirevision="keep")  # keep zoom across live refreshes
    fig.update_xaxes(title=x_title, gridcolor="#EEF0F5", zeroline=False)
    fig.update_yaxes(gridcolor="#EEF0F5", zeroline=False)
    return fig


def histogram_figure(values: Sequence[float], title: str = "", height: int = 300) -> go.Figure:
    """Distribution of a numeric target (regression data); ``title`` "": the usual one in the current language."""
    fig = go.Figure(go.Histogram(x=list(values)[:100_000], marker_color=INDIGO, nbinsx=30))
    fig = style(fig, title or t("chart.target_values"), height, x_title=t("chart.value"), legend=False)
    fig.update_layout(bargap=0.05)
    return fig


def token_length_figure(lengths: dict[str, Any], height: int = 300) -> go.Figure:
    """Tokens per text (the health report's ``token_lengths``): bars, with the max length and the suggestion marked."""
    edges, counts = lengths["bins"], lengths["counts"]
    mids = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=False)]
    colours = [RED if m > lengths["max_length"] else INDIGO for m in mids]
    fig = go.Figure(go.Bar(x=mids, y=counts, width=[b - a for a, b in zip(edges[:-1], edges[1:], strict=False)],
                           marker_color=colours, hovertemplate=t("chart.tokens_hover") + "<extra></extra>"))
    fig.add_vline(x=lengths["max_length"], line=dict(color=RED, dash="dash"),
                  annotation_text=t("chart.max_length", n=lengths["max_length"]), annotation_position="top right")
    if lengths["suggested_max_length"] != lengths["max_length"] and lengths["suggested_max_length"] <= edges[-1] * 1.2:
        fig.add_vline(x=lengths["suggested_max_length"], line=dict(color=GREEN, dash="dot"),
                      annotation_text=t("chart.suggested", n=lengths["suggested_max_length"]),
                      annotation_position="top left")
    fig = style(fig, t("chart.tokens_per_text"), height, x_title=t("chart.tokens_axis"), legend=False)
    fig.update_layout(bargap=0.05)
    return fig
