"""Every page driven through the real app with AppTest and the tiny model: upload, map columns,
train, watch, re-attach from a fresh session, stop, evaluate, predict, delete, and bad input."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import nav
from components.state import registry
from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.runs.folder import list_runs, open_run
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]
CSV = ("review,sentiment\n" + "\n".join(f"{t},{label}" for t, label in sentiment_rows())).encode()


def app(page: str | None = None, run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if run_id:
        at.query_params["run"] = run_id
    at.run()
    if page:
        at.switch_page(nav.PAGES[page].file)
        at.run()
    assert not at.exception, at.exception
    return at


def run_param(at: AppTest) -> str:
    value = at.query_params["run"]
    return value[0] if isinstance(value, list) else value


def start_training(at: AppTest, model: str, epochs: int) -> str:
    """Upload the sentiment table, keep the detected columns, train the tiny model."""
    at.switch_page(nav.PAGES[nav.DATA].file).run()
    at.file_uploader(key="data_upload").set_value(("reviews.csv", CSV, "text/csv")).run()
    assert at.selectbox(key="text_column").value == "review"
    assert at.selectbox(key="label_column").value == "sentiment"
    at.switch_page(nav.PAGES[nav.TRAIN].file).run()
    at.text_input(key="model_source").set_value(model)
    at.number_input(key="train_epochs").set_value(epochs)
    at.number_input(key="train_batch_size").set_value(8)
    at.number_input(key="train_learning_rate").set_value(3e-3)
    at.number_input(key="train_max_length").set_value(32)
    at.checkbox(key="train_freeze_embeddings").set_value(False)
    at.button(key="start_training").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return run_param(at)


def wait_until_running(run_id: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while not any(e["type"] == "train" for e in registry().get(run_id).snapshot()["events"]):
        assert time.time() < deadline
        time.sleep(0.05)


def metrics_shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_home_page_lists_the_steps_and_the_demo_data():
    at = app()
    assert at.title[0].value == "Tuneboard"
    text = " ".join(m.value for m in at.markdown)
    assert "support_tickets.csv" in text and "MiniLM" in text


def test_data_page_starts_on_the_demo_with_detected_columns():
    at = app("data")
    assert at.selectbox(key="text_column").value == "message"
    assert at.selectbox(key="label_column").value == "intent"
    assert metrics_shown(at)["Classes"] == "5"
    assert not at.error


def test_upload_train_to_completion_then_evaluate_and_predict(tiny_model):
    at = app()
    run_id = start_training(at, tiny_model, epochs=2)
    assert registry().wait(run_id, 60) == "completed"
    at.run()
    shown = metrics_shown(at)
    assert shown["Best Macro-F1"].endswith("%") and shown["Time left"] == "—"
    assert any("Training finished" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) >= 3

    at.switch_page(nav.PAGES[nav.EVALUATE].file).run()
    assert not at.exception
    assert {"Accuracy", "Macro-F1", "Validation rows"} <= set(metrics_shown(at))

    at.switch_page(nav.PAGES[nav.PREDICT].file).run()
    at.text_area(key="predict_text").set_value("great love happy excellent")
    at.button(key="predict_button").click().run()
    assert not at.exception
    assert metrics_shown(at)["Prediction"] in ("positive", "negative")
    at.text_area(key="predict_text").set_value("great love happy\nawful terrible broken").run()
    assert metrics_shown(at)["Texts"] == "2"


def test_a_fresh_session_reattaches_to_the_running_run_and_can_stop_it(tiny_model):
    run_id = start_training(app(), tiny_model, epochs=80)
    wait_until_running(run_id)
    other = app("train", run_id=run_id)  # a refresh, a second tab or a teammate with the link
    assert run_param(other) == run_id
    assert any("Training" in m.value for m in other.markdown)
    assert "Train loss" in metrics_shown(other)
    other.button(key="stop_training").click().run()
    assert not other.exception
    assert registry().wait(run_id, 10) == "stopped"
    other.run()
    assert open_run(run_id).status()["status"] == "stopped"
    assert (open_run(run_id).model_dir / "config.json").is_file()
    assert not any(b.key == "stop_training" for b in other.button)


def test_a_second_start_is_queued_and_shown_as_queued(tiny_model):
    at = app()
    first = start_training(at, tiny_model, epochs=80)
    wait_until_running(first)
    at.button(key="start_training").click().run()
    second = run_param(at)
    assert second != first and registry().get(second).status == "queued"
    assert any("Queued" in m.value for m in at.markdown)
    at.button(key="stop_training").click().run()  # cancels the queued one
    assert registry().get(second).status == "stopped"
    registry().stop(first)
    assert registry().wait(first, 10) == "stopped"


def test_a_bad_upload_shows_an_error_and_no_exception():
    at = app("data")
    at.file_uploader(key="data_upload").set_value(("table.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "text/csv")).run()
    assert not at.exception
    assert at.error and "PNG" in at.error[0].value


def test_a_missing_model_folder_is_refused_with_a_message(tmp_path):
    at = app("train")
    at.text_input(key="model_source").set_value(str(tmp_path / "nowhere"))
    at.button(key="start_training").click().run()
    assert not at.exception
    assert at.error and "cannot be used here" in at.error[0].value  # never says whether a path exists
    assert list_runs() == []


def test_runs_page_lists_a_run_and_deletes_it_after_confirmation(sentiment_csv, tiny_model):
    cfg = TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=8, max_length=32,
                      freeze_embeddings=False, learning_rate=3e-3)
    run = execute(cfg).run
    at = app("runs", run_id=run.run_id)
    assert "Macro-F1" in metrics_shown(at)
    at.button(key="runs_delete").click().run()
    assert at.warning and "cannot be undone" in at.warning[0].value
    assert run.path.exists()
    at.button(key="runs_confirm_delete").click().run()
    assert not at.exception and not run.path.exists()


@pytest.mark.parametrize("page", ["evaluate", "predict", "runs"])
def test_pages_without_any_run_explain_what_to_do(page):
    at = app(page)
    assert at.info and "Train" in at.info[0].value
