"""The stakeholder report: one self-contained HTML file, escaped, with its charts and highlighted examples."""
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.report import build_report, verdict, write_report
from tuneboard.runs import create_run
from tuneboard.training import execute

ROOT = Path(__file__).resolve().parents[2]
EVIL = "<img src=x onerror=alert(1)>"
BOLD = "neg<b>ative</b>"  # a label with markup in it


def make_run(tiny_model: str, folder: Path) -> Path:
    """A tiny-BERT run on sentiment rows; the file also has a 'channel' column, hostile texts and a label."""
    data = folder / "reviews.csv"
    rows = sentiment_rows(160)
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment", "channel"])
        w.writerows((f"{EVIL} {t}", BOLD if label == "negative" else label, "web" if i % 3 else "app")
                    for i, (t, label) in enumerate(rows))
    return execute(TrainConfig(data=str(data), model=tiny_model, epochs=1, batch_size=16, learning_rate=3e-3,
                               freeze_embeddings=False, val_size=0.3)).run.path


def test_report_is_self_contained_escaped_and_has_its_charts(tiny_model, tmp_path):
    run = make_run(tiny_model, tmp_path)
    path = write_report(run, tmp_path / "out" / "report.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@media print" in page
    assert "<script src=" not in page and "cdn.plot.ly" not in page.split("</script>", 1)[1]  # no network
    assert len(page) > 3_000_000  # plotly.min.js itself is inside
    figures = re.findall(r"Plotly\.newPlot\(\"(chart-\d+)\",(.*?),(\{.*?\}),\{\"displaylogo", page)
    assert {div for div, _, _ in figures} == {f"chart-{i}" for i in range(4)}  # metrics, per class, matrix, slices
    assert all(f'<div id="{div}" class="chart">' in page for div, _, _ in figures)
    data = [json.loads(d) for _, d, _ in figures]
    assert data[2][0]["type"] == "heatmap" and data[3][0]["type"] == "bar"
    assert "channel: " in json.dumps(data[3])  # the extra column became slices
    body = page.split("</head>", 1)[1]
    assert "<img" not in body and "<b>ative" not in body and "&lt;" in body and "neg&lt;b&gt;ative" in body
    assert "neg\\u0026lt;b\\u0026gt;ative" in body and "neg\\u003cb" not in body  # the charts draw it as text
    assert 'class="tb-word"' in page  # example predictions with highlighted words
    for heading in ("What was trained", "How good it is", "Per class", "Example predictions", "Where it is weaker"):
        assert heading in page
    assert "reviews.csv" in page and not list(path.parent.glob(".*.tmp"))


def test_cli_report_and_a_run_without_scores(tmp_path, sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run.path
    r = subprocess.run([sys.executable, "-m", "tuneboard", "report", str(run)], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    page = (run / "report.html").read_text(encoding="utf-8")
    assert 'class="tb-explained"' in page and "fine-tuned transformer" not in page  # the TF-IDF model's own weights
    empty = create_run(TrainConfig(data=str(sentiment_csv)))
    with pytest.raises(ConfigError, match="no scores yet"):
        build_report(empty)
    r = subprocess.run([sys.executable, "-m", "tuneboard", "report", str(empty.path)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("error: ")


def test_verdict_in_plain_words():
    m = {"main_metric": "macro_f1", "macro_f1": 0.9, "n_val": 50, "baseline": {"macro_f1": 0.8}}
    assert "better than the simple TF-IDF baseline (80.0%)" in verdict(m)
    assert "practically a tie" in verdict({**m, "baseline": {"macro_f1": 0.899}})
    assert "worse" in verdict({**m, "baseline": {"macro_f1": 0.95}})
