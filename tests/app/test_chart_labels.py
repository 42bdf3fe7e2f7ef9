"""Plotly renders HTML in what a trace draws: a label from the data reaches every figure, the report's and
the app's, as plain text (``&lt;a``), never as a live ``<a href>``."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from components import charts, evalcharts, servecharts
from tuneboard import reportfigures

LINK = '<a href="https://evil.example">click</a>'
PER_CLASS = {LINK: {"precision": 0.5, "recall": 0.4, "f1": 0.45, "support": 3},
             "b&b": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 5}}


def drawn(fig) -> str:
    """What the browser gets: the figure's JSON, strings as Plotly will read them."""
    data = fig if isinstance(fig, dict) else fig.to_plotly_json()
    return json.dumps(data["data"], ensure_ascii=False, default=str)


REPORT = {
    "per class": lambda: reportfigures.per_class_figure(PER_CLASS),
    "confusion": lambda: reportfigures.confusion_figure([LINK, "b&b"], [[1, 2], [3, 4]]),
    "slices": lambda: reportfigures.slices_figure(pd.DataFrame(
        {"by": ["channel", LINK], "value": [LINK, "b&b"], "rows": [4, 5], "accuracy": [0.5, 0.6],
         "low": [0.2, 0.3], "high": [0.8, 0.9]})),
}
APP = {
    "class balance": lambda: charts.class_balance_figure({LINK: 3, "b&b": 4}, {LINK: 1}),
    "confusion": lambda: charts.confusion_figure([LINK, "b&b"], [[1, 2], [3, 4]]),
    "clickable confusion": lambda: evalcharts.clickable_confusion_figure([LINK, "b&b"], [[1, 2], [3, 4]]),
    "probabilities": lambda: charts.probability_figure({LINK: 0.9, "b&b": 0.1}),
    "F1 per label": lambda: evalcharts.per_label_figure(PER_CLASS),
    "served vs validation": lambda: servecharts.versus_validation_figure([LINK, "b&b"], [3, 1], [1, 3], "t", "x"),
}


@pytest.mark.parametrize("build", [*REPORT.values(), *APP.values()], ids=[*(f"report {k}" for k in REPORT), *APP])
def test_a_label_with_a_link_is_drawn_as_text(build):
    text = drawn(build())
    assert "<a" not in text and "&lt;a href=" in text
    assert "b&amp;b" in text  # escaped once, so it reads "b&b"


def test_the_report_page_carries_no_live_link_from_a_label():
    from tuneboard.report import _safe_json

    fig = reportfigures.confusion_figure([LINK], [[1]])
    parsed = json.loads(_safe_json(fig["data"]))  # what Plotly.newPlot gets in the browser
    assert "<a" not in json.dumps(parsed, ensure_ascii=False)
