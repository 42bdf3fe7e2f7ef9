"""The report's charts as plain HTML and CSS: bars, a confusion grid and slice bars with their interval.

The report is read on paper and on laptops with no network; its charts show a handful of numbers, where
hovering adds nothing. Plotly's full bundle made every report about 4.8 MB (measured) and needed
JavaScript; these charts are a few kilobytes, print as they look, and carry no script at all. Every string
from the data goes through ``html.escape``; numbers only set widths and shades.

The Plotly label helpers (``plain_label``...) stay here because the app's figure builders
(components/charts.py) share their rule: Plotly renders some HTML in what a trace draws.
"""
from __future__ import annotations

import html
from typing import Any, Sequence

from tuneboard.i18n import t

INDIGO, AMBER, GREEN, SLATE, RED = "#4F46E5", "#F59E0B", "#10B981", "#64748B", "#EF4444"
# Metric keys with a readable name (``report.metric_<key>`` in the eval catalog, every one of them).
NAMES = ("accuracy", "macro_f1", "weighted_f1", "micro_f1", "subset_accuracy", "rmse", "mae", "r2", "precision",
         "recall")
BOUNDED = ("accuracy", "macro_f1", "weighted_f1", "micro_f1", "subset_accuracy", "precision", "recall", "f1")
MAX_GRID = 20  # classes: a bigger confusion grid is unreadable on a page

# What a Plotly trace draws from the data: categories, names, bar texts, pie labels, hover values.
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


def name(key: str) -> str:
    """The readable name of a metric key in the current language (the key itself when it has none)."""
    return t(f"report.metric_{key}") if key in NAMES else key


def fmt(key: str, value: Any) -> str:
    """A metric as people read it: a percentage for scores between 0 and 1, three decimals otherwise."""
    if not isinstance(value, (int, float)):
        return t("report.na")
    return f"{value:.1%}" if key in BOUNDED else f"{value:.3f}"


def _percent(fraction: float) -> float:
    return max(0.0, min(1.0, float(fraction))) * 100


def bar(fraction: float, color: str = INDIGO, extra: str = "") -> str:
    """A horizontal bar filled to ``fraction`` (0..1) of its track (``extra``: more marks inside the track)."""
    return f'<span class="bar"><i style="width:{_percent(fraction):.1f}%;background:{color}"></i>{extra}</span>'


def interval_bar(value: float, low: float, high: float, color: str = AMBER) -> str:
    """A bar to ``value`` with its 95 % interval drawn as a line from ``low`` to ``high`` (all 0..1)."""
    lo, hi = _percent(low), _percent(high)
    return bar(value, color, f'<s style="left:{lo:.1f}%;width:{hi - lo:.1f}%"></s>')


def compare_bars(metrics: dict[str, Any], keys: Sequence[str]) -> str:
    """The model's headline numbers beside the TF-IDF baseline's: one labelled pair of bars per metric."""
    base = metrics.get("baseline") or {}
    show_base = metrics.get("model_kind") != "tfidf"
    rows = []
    for key in keys:
        ours, theirs = metrics.get(key), base.get(key) if show_base else None
        values = [v for v in (ours, theirs) if isinstance(v, (int, float))]
        if not values:
            continue
        top = 1.0 if key in BOUNDED else max(abs(v) for v in values) or 1.0
        pairs = [(t("report.fig_model"), ours, INDIGO), (t("report.fig_baseline"), theirs, SLATE)]
        lines = "".join(f'<div class="pair"><span class="who">{html.escape(who)}</span>{bar(abs(v) / top, color)}'
                        f'<b class="num">{fmt(key, v)}</b></div>'
                        for who, v, color in pairs if isinstance(v, (int, float)))
        rows.append(f'<div class="metric"><div class="metric-name"><b>{html.escape(name(key))}</b> '
                    f'<span class="muted">— {html.escape(t(f"report.explain_{key}"))}</span></div>{lines}</div>')
    return f'<div class="chart">{"".join(rows)}</div>'


def confusion_grid(labels: Sequence[Any], matrix: Sequence[Sequence[int]]) -> str:
    """Rows are true classes, columns predicted ones; each cell its count, shaded by its share of its row."""
    if not labels or len(labels) > MAX_GRID:
        return ""
    names = [html.escape(str(x)) for x in labels]
    head = "".join(f"<th>{n}</th>" for n in names)
    body = []
    for label, row in zip(names, matrix, strict=True):
        total = sum(row) or 1
        cells = "".join(f'<td class="num cell" style="background:rgba(79,70,229,{c / total:.2f});'
                        f'color:{"#fff" if c / total > 0.55 else "#1F2937"}">{int(c)}</td>' for c in row)
        body.append(f"<tr><th>{label}</th>{cells}</tr>")
    corner = html.escape(t("report.grid_corner"))
    return (f'<table class="grid"><caption>{html.escape(t("report.fig_confusion"))}</caption>'
            f"<tr><th>{corner}</th>{head}</tr>{''.join(body)}</table>")
