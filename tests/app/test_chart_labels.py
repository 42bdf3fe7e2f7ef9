"""Plotly renders HTML in what a trace draws: a label from the data reaches every figure of the app, and
the report's HTML charts, as plain text (``&lt;a``), never as a live ``<a href>``."""
from __future__ import annotations

import json

import pytest

from components import charts, evalcharts, servecharts
from tuneboard.evaluate import report_figures as reportfigures

LINK = '<a href="https://evil.example">click</a>'
PER_CLASS = {LINK: {"precision": 0.5, "recall": 0.4, "f1": 0.45, "support": 3},
             "b&b": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 5}}


def drawn(fig) -> str:
    """What the browser gets: the figure's JSON, strings as Plotly will read them."""
    data = fig if isinstance(fig, dict) else fig.to_plotly_json()
    return json.dumps(data["data"], ensure_ascii=False, default=str)


APP = {
    "class balance": lambda: charts.class_balance_figure({LINK: 3, "b&b": 4}, {LINK: 1}),
    "confusion": lambda: charts.confusion_figure([LINK, "b&b"], [[1, 2], [3, 4]]),
    "clickable confusion": lambda: evalcharts.clickable_confusion_figure([LINK, "b&b"], [[1, 2], [3, 4]]),
    "probabilities": lambda: charts.probability_figure({LINK: 0.9, "b&b": 0.1}),
    "F1 per label": lambda: evalcharts.per_label_figure(PER_CLASS),
    "served vs validation": lambda: servecharts.versus_validation_figure([LINK, "b&b"], [3, 1], [1, 3], "t", "x"),
}


@pytest.mark.parametrize("build", APP.values(), ids=APP)
def test_a_label_with_a_link_is_drawn_as_text(build):
    text = drawn(build())
    assert "<a" not in text and "&lt;a href=" in text
    assert "b&amp;b" in text  # escaped once, so it reads "b&b"


def test_the_reports_charts_draw_a_label_with_a_link_as_text():
    grid = reportfigures.confusion_grid([LINK, "b&b"], [[1, 2], [3, 4]])
    bars = reportfigures.compare_bars({"accuracy": 0.5, "baseline": {"accuracy": 0.4}}, ["accuracy"])
    assert "<a" not in grid + bars and "&lt;a href=" in grid and "b&amp;b" in grid
    assert "<script" not in grid + bars
