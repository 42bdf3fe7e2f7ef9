"""Evaluate for every task (threshold, baseline, coaching, error analysis and the relabel → retrain
round trip) and Compare, driven through the real app on TF-IDF runs (instant) and one tiny-model run."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from components import evalcharts, mistakes, nav
from tuneboard.config import TrainConfig
from tuneboard.runs.folder import open_run
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def app(page: str, run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if run_id:
        at.query_params["run"] = run_id
    at.run()
    at.switch_page(nav.PAGES[page].file).run()
    assert not at.exception, at.exception
    return at


def tfidf_run(data: Path, **columns: str) -> str:
    return execute(TrainConfig(data=str(data), model="tfidf", **columns)).run.run_id


def shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def text_of(at: AppTest) -> str:
    return " ".join(m.value for kind in ("markdown", "caption", "success", "warning", "info") for m in at.get(kind))


@pytest.fixture
def tickets(tmp_path: Path) -> Path:
    """A private copy of the five-intent demo (TF-IDF makes a dozen mistakes on it)."""
    return Path(shutil.copy(EXAMPLES / "support_tickets.csv", tmp_path / "tickets.csv"))


def test_every_evalchart_builder_returns_a_figure_with_data():
    history = [{"type": "baseline", "macro_f1": 0.7}, {"type": "train", "epoch": 0.5, "loss": 1.0},
               {"type": "eval", "epoch": 1.0, "eval_loss": 0.8, "macro_f1": 0.8}]
    rows = [{"threshold": t / 10, "precision": t / 10, "recall": 1 - t / 10, "f1": 0.5} for t in range(1, 10)]
    figures = [
        evalcharts.clickable_confusion_figure(["a", "b"], [[3, 1], [0, 4]]),
        evalcharts.roc_figure([0, 0.2, 1], [0, 0.8, 1], 0.9),
        evalcharts.pr_figure([1, 0.8, 0.5], [0, 0.5, 1], 0.8, base_rate=0.5),
        evalcharts.threshold_figure(rows, chosen=0.3, saved=0.5),
        evalcharts.reliability_figure([dict(low=0.5, high=0.6, confidence=0.55, accuracy=0.5, count=3)], 0.05),
        evalcharts.per_label_figure({"a": {"f1": 0.5, "support": 3}, "b": {"f1": 0.9, "support": 4}}),
        evalcharts.regression_figure([1.0, 2.0, 3.0], [1.5, 2.0, 2.5]),
        evalcharts.compare_loss_figure({"one": history, "two": history}),
        evalcharts.compare_metric_figure({"one": history, "two": history}, "macro_f1"),
    ]
    for fig in figures:
        assert isinstance(fig, go.Figure) and fig.data and all(len(t.x) for t in fig.data if t.x is not None)


def test_single_label_tfidf_run_shows_scores_calibration_and_mistakes(tickets):
    run_id = tfidf_run(tickets)
    at = app("evaluate", run_id)
    numbers = shown(at)
    assert {"Accuracy", "Macro-F1", "Validation rows", "Expected calibration error"} <= set(numbers)
    assert "is** the TF-IDF" in text_of(at)  # a baseline run is not compared with itself
    assert "Mistakes (" in " ".join(h.value for h in at.subheader)
    assert len(at.get("plotly_chart")) == 2  # confusion matrix and reliability diagram
    at.selectbox(key="eval_mistake_true").set_value("billing").run()
    assert not at.exception
    run = open_run(run_id)
    wrong = mistakes.wrong_rows(pd.read_parquet(run.path / "predictions.parquet"), run.metrics())
    kept = int((wrong["label"] == "billing").sum())
    captions = [c.value for c in at.caption if c.value.startswith("Showing ")]
    if kept < len(wrong):  # a filter that hides rows says so, with both counts
        assert captions == [f"Showing {kept} of {len(wrong)} mistakes: the filters above hide the rest."]
    else:
        assert not captions
    at.radio(key="eval_mistake_order").set_value(mistakes.ORDERS[1]).run()
    assert not at.exception


def test_binary_threshold_slider_shows_scores_and_save_changes_the_saved_threshold(sentiment_csv):
    run_id = tfidf_run(sentiment_csv)
    at = app("evaluate", run_id)
    assert {"Precision", "Recall", "F1"} <= set(shown(at))
    assert len(at.get("plotly_chart")) == 5  # confusion, ROC, PR, threshold, reliability
    assert "Saved threshold: **0.50**" in text_of(at)
    at.slider(key="eval_threshold").set_value(0.7).run()
    at.button(key="eval_save_threshold").click().run()
    assert not at.exception and not at.error
    run = open_run(run_id)
    assert run.metrics()["threshold"] == pytest.approx(0.7)
    assert json.loads((run.model_dir / "baseline.json").read_text())["threshold"] == pytest.approx(0.7)
    assert "Saved threshold: **0.70**" in text_of(at)


@pytest.mark.parametrize("name, tiles, charts", [
    ("support_tickets_multilabel.csv", {"Micro-F1", "Macro-F1", "Exact-match accuracy"}, 1),
    ("review_ratings.csv", {"RMSE", "MAE", "R²"}, 2),
])
def test_multi_label_and_regression_runs_render_their_own_views(name, tiles, charts):
    at = app("evaluate", tfidf_run(EXAMPLES / name))
    assert tiles <= set(shown(at))
    assert len(at.get("plotly_chart")) == charts
    assert not at.error


def test_a_fine_tuned_run_is_measured_against_its_baseline(sentiment_csv, tiny_model):
    cfg = TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=8, max_length=32,
                      freeze_embeddings=False, learning_rate=3e-3)
    at = app("evaluate", execute(cfg).run.run_id)
    assert "TF-IDF baseline Macro-F1" in shown(at)
    verdict = next(c.value for c in [*at.success, *at.warning, *at.info] if "TF-IDF baseline**" in c.value)
    assert "beat the TF-IDF" in verdict or "tie with the TF-IDF" in verdict


def test_corrections_make_a_new_file_and_train_again_uses_it(tickets):
    original = hashlib.sha256(tickets.read_bytes()).hexdigest()
    run_id = tfidf_run(tickets)
    run = open_run(run_id)
    wrong = mistakes.wrong_rows(pd.read_parquet(run.path / "predictions.parquet"), run.metrics())
    fix, drop = wrong.iloc[0], wrong.iloc[1]
    at = app("evaluate", run_id)
    assert at.button(key="eval_save_corrections").disabled
    # The data editor cannot be typed into from AppTest: seed the edits it collects, as the page keeps them.
    at.session_state["_corrections"] = {run_id: {fix["text"]: fix["predicted"], drop["text"]: None}}
    at.run()
    at.button(key="eval_save_corrections").click().run()
    assert not at.exception and not at.error
    saved = at.session_state["_corrected"]
    assert saved["counts"]["relabelled"] >= 1 and saved["counts"]["excluded"] >= 1
    assert Path(saved["path"]).is_file() and hashlib.sha256(tickets.read_bytes()).hexdigest() == original
    at.button(key="eval_retrain_corrected").click().run()
    assert not at.exception
    assert at.title[0].value == "Train"
    assert at.session_state["dataset"].path == saved["path"]
    assert at.text_input(key="model_source").value == "tfidf"


def test_collecting_editor_rows_relabels_excludes_and_forgets_cleared_rows():
    edits = {"c": "x"}
    table = pd.DataFrame({"text": ["a", "b", "c"], "label": ["x", "y", "z"], "new_label": ["y", None, None],
                          "exclude": [False, True, False]})
    mistakes._collect(table, edits, "single_label")
    assert edits == {"a": "y", "b": None}


def test_compare_shows_both_runs_and_the_settings_that_differ(tickets):
    first = execute(TrainConfig(data=str(tickets), model="tfidf", seed=1)).run.run_id
    second = execute(TrainConfig(data=str(tickets), model="tfidf", seed=2, val_size=0.3)).run.run_id
    at = app("compare")
    assert set(at.multiselect(key="compare_pick").value) == {first, second}
    scores, settings = at.dataframe[0].value, at.dataframe[1].value
    assert len(scores) == 2 and "TF-IDF baseline" in scores.columns
    assert {"Seed", "Validation size"} <= set(settings["Setting"])  # the settings by their names on the form
    assert len(at.get("plotly_chart")) == 2


def test_train_page_offers_the_tfidf_model():
    at = app("train")
    at.selectbox(key="train_model_pick").set_value("tfidf").run()
    assert at.text_input(key="model_source").value == "tfidf"
    assert any("TF-IDF" in s.value for s in at.success)
