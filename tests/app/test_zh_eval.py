"""Chinese UI, catalog part ``eval``: Evaluate, Predict, Deploy and Monitor in ``?lang=zh`` show no English
UI text (data, model names, units, metric names and code are allowed), and the stakeholder report in zh has
Chinese headings.

``english_leftovers`` is a local equivalent of helper A's ``tests/app/zh_check.py`` (the integrator unifies them).
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any, Iterable

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.pages import drifting_log, open_page
from tuneboard import i18n
from tuneboard.config import TrainConfig
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# Words that stay as they are in a Chinese UI: metric and method names, formats, units, protocols, code.
TECH = {"TF-IDF", "tfidf", "AUC", "AP", "ROC", "ECE", "F1", "Macro-F1", "Micro-F1", "macro-F1", "RMSE", "MAE",
        "ONNX", "onnx", "int8", "onnx-int8", "torch", "PyTorch", "API", "URL", "CSV", "HTML", "JSON", "Lines",
        "Excel", "TSV", "Parquet", "CLI", "GET", "health", "info", "docs", "curl", "Python", "python", "Hugging",
        "Face", "Tuneboard", "cleanlab", "transformers", "from_pretrained", "README", "zip", "ms", "MB", "s",
        "p50", "p95", "alpha", "epoch", "epochs", "token", "n-gram", "transformer", "LoRA", "Language", "http",
        "localhost", "zh", "en", "CPU", "requests", "InferenceClient", "PSI", "JS", "HF_HUB_OFFLINE",
        "huggingface_hub", "OfflineModeIsEnabled", "LLM", "OpenAI", "Ollama", "vLLM", "Studio", "Cohen", "kappa"}
# Whole strings drawn by part ``app`` (components/widgets.py's run picker), translated on helper A's branch:
# the integrator drops this once both are merged.
OTHER_PARTS = {"Run"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]")


def _strings(block: Any) -> Iterable[str]:
    """Every UI string a person reads in ``block``: text elements, widget labels and help, chart titles."""
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        yield from (e.value for e in block.get(kind))
    for kind in ("button", "selectbox", "radio", "text_area", "toggle", "checkbox", "number_input", "slider",
                 "download_button", "file_uploader", "tab", "expander", "metric", "text_input", "multiselect"):
        for e in block.get(kind):
            proto = getattr(e, "proto", None)
            yield str(getattr(e, "label", None) or getattr(proto, "label", "") or "")
            yield str(getattr(proto, "help", "") or "")
    for chart in block.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        layout = spec.get("layout", {})
        for part in (layout, layout.get("xaxis", {}), layout.get("yaxis", {})):
            title = part.get("title")
            yield str(title.get("text", "") if isinstance(title, dict) else title or "")
        yield from (str(trace.get("name") or "") for trace in spec.get("data", []))


def english_leftovers(at: AppTest, allow: Iterable[str] = ()) -> list[str]:
    """The page's strings (main area) that still hold an English word outside ``TECH`` and ``allow`` (data)."""
    allowed = {w.lower() for w in [*TECH, *allow]}
    left = []
    for text in _strings(at.main):
        if text in OTHER_PARTS:
            continue
        text = re.sub(r"\\(.)", r"\1", text)  # plain()'s escapes, as tests/app/zh_check.py: technical\_issue is data
        words = [w for w in WORD.findall(re.sub(r"https?://\S+|`[^`]*`|/\w+", " ", text))
                 if w.lower() not in allowed]
        if words:
            left.append(f"{text!r}: {words}")
    return left




def data_words(run_id: str, *more: str) -> list[str]:
    """Run ids and column/label names are data: their pieces may stay English."""
    return [*WORD.findall(run_id), *more]


@pytest.fixture
def sentiment_run(sentiment_csv: Path):
    return execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run


def test_evaluate_two_classes_in_chinese(sentiment_run):
    at = open_page("evaluate", sentiment_run.run_id, lang="zh")
    assert at.title[0].value == "评估"
    assert "决策阈值" in [s.label for s in at.slider]  # the threshold view of a two-class run is there
    left = english_leftovers(at, data_words(sentiment_run.run_id, "positive", "negative", "review", "sentiment"))
    assert not left, left


def test_evaluate_mistakes_slices_and_report_in_chinese(tmp_path):
    data = Path(shutil.copy(EXAMPLES / "support_tickets.csv", tmp_path / "tickets.csv"))
    run = execute(TrainConfig(data=str(data), model="tfidf")).run
    labels = (run.metrics() or {}).get("labels") or []
    at = open_page("evaluate", run.run_id, lang="zh")
    at.button(key="insights_find_mislabels").click().run()
    assert not at.exception, at.exception
    subheaders = [s.value for s in at.subheader]
    assert "混淆矩阵" in subheaders and any(s.startswith("预测错误") for s in subheaders)
    left = english_leftovers(at, data_words(run.run_id, *labels, "message", "intent", "tickets"))
    assert not left, left
    at.button(key="insights_build_report").click().run()
    assert not at.exception and "<h2>与简单模型的对比</h2>" in at.session_state["_report"]["html"].decode("utf-8")


def test_predict_typed_and_file_in_chinese(sentiment_run):
    at = open_page("predict", sentiment_run.run_id, lang="zh")
    allow = data_words(sentiment_run.run_id, "positive", "negative", "review", "sentiment", "new", "id")
    assert not english_leftovers(at, allow), english_leftovers(at, allow)
    at.text_area(key="predict_text").set_value("great love\nawful broken").run()
    assert not at.exception, at.exception
    assert {"文本数", "延迟"} <= {m.label for m in at.metric}
    csv = ("id,review\n" + "\n".join(f"{i},great text {i}" for i in range(10))).encode()
    at.file_uploader(key="predict_batch_upload").set_value(("new.csv", csv, "text/csv")).run()
    assert not at.exception, at.exception
    assert {"行数", "速度"} <= {m.label for m in at.metric}
    left = english_leftovers(at, allow)
    assert not left, left


def test_deploy_and_monitor_in_chinese(sentiment_run):
    at = open_page("deploy", sentiment_run.run_id, lang="zh")
    assert at.title[0].value == "部署"
    allow = data_words(sentiment_run.run_id, "positive", "negative")
    left = english_leftovers(at, allow)
    assert not left, left

    at = open_page("monitor", sentiment_run.run_id, lang="zh")
    assert not english_leftovers(at, allow), english_leftovers(at, allow)
    drifting_log(sentiment_run.path, 60)
    at = open_page("monitor", sentiment_run.run_id, lang="zh")
    assert {"预测次数", "延迟 p50"} <= {m.label for m in at.metric} and len(at.get("plotly_chart")) == 3
    left = english_leftovers(at, allow)
    assert not left, left


def test_the_report_in_chinese_has_chinese_headings(sentiment_run):
    from tuneboard.evaluate.report import build_report

    i18n.set_language("zh")
    try:
        page = build_report(sentiment_run, examples=0)
    finally:
        i18n.set_language("en")
    body = page.split("</head>", 1)[1]
    headings = re.findall(r"<h[123]>(.*?)</h[123]>", body)
    assert headings[:3] == ["这个模型能用吗？", "它有多准", "需要知道的风险"] and "逐个类别看" in headings
    assert all(re.search(r"[\u4e00-\u9fff]", h) for h in headings), headings
    assert '<html lang="zh">' in page and "每个真实类别被判成了什么" in page  # chart titles too
    assert "<h2>Compared with the simple model</h2>" in build_report(sentiment_run, examples=0)  # English default


def test_cli_report_takes_a_language(sentiment_run):
    from tuneboard.cli.main import main

    try:
        assert main(["report", str(sentiment_run.path), "--lang", "zh"]) == 0
    finally:
        i18n.set_language("en")
    assert "<h2>与简单模型的对比</h2>" in (sentiment_run.path / "report.html").read_text(encoding="utf-8")
