"""The app as a user drives it, in headless Chromium against a real server (see conftest.py).

One server for the session; each test has its own browser context (its own Streamlit session).
Runs use the tiny random BERT so a run trains in seconds, long enough to watch it live.
"""
from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from . import ui
from .harness import DEMO

pytestmark = pytest.mark.e2e

# The first run of a session also pays the server's torch/transformers/sklearn imports (tens of
# seconds on a busy 2-core machine); later runs take seconds.
RUN_TIMEOUT = 120_000
STOP_WITHIN_S = 3.0  # "a Stop button that stops within 3 s", on a machine that is not oversubscribed
EPOCHS = 8  # the tiny model trains ~0.6 s an epoch: enough 1-s chart refreshes to see the curve grow
REFRESH_EPOCHS = 15  # long enough (~15 s on an idle machine) that the reload lands mid-run


def start_training(page: Page, model: Path, epochs: int, batch_size: int = 8) -> str:
    return ui.start_training(page, model, epochs, batch_size, timeout=RUN_TIMEOUT)


def history(runs_dir: Path, run_id: str) -> list[dict]:
    path = runs_dir / run_id / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def status(runs_dir: Path, run_id: str) -> dict:
    return json.loads((runs_dir / run_id / "status.json").read_text())


def expect_finished(page: Page, run_dir: Path) -> None:
    ui.wait_text(page, "Training finished", run_dir)


def test_bad_upload_shows_a_readable_error(page: Page, app_url: str, tmp_path: Path, shot) -> None:
    ui.open_app(page)
    ui.go_to(page, "Data")
    for name, content, words in (("broken.csv", bytes(range(256)) * 8, "binary or damaged"),
                                 ("broken.xlsx", b"message,intent\nhello,greeting\n", "not a readable Excel")):
        bad = tmp_path / name
        bad.write_bytes(content)
        ui.upload(page, bad)
        error = page.locator('[data-testid="stAlert"]').filter(has_text=words)
        expect(error).to_be_visible()
        ui.wait_idle(page)
        shot(f"error-{bad.suffix[1:]}", doc="data-error" if bad.suffix == ".csv" else None)
        ui.expect_no_traceback(page)


def test_upload_train_evaluate_predict(page: Page, e2e_model: Path, runs_dir: Path, shot) -> None:
    ui.open_app(page)
    ui.go_to(page, "Data")
    ui.upload(page, DEMO)
    expect(page.get_by_text("(uploaded file)")).to_be_visible()  # the upload, not the bundled copy of it
    ui.expect_selected(page, "text_column", "message")
    ui.expect_selected(page, "label_column", "intent")
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()  # class balance
    shot("data-mapped", doc="data")

    ui.go_to(page, "Train")
    expect(page.get_by_text("support_tickets.csv")).to_be_visible()
    run_id = start_training(page, e2e_model, epochs=EPOCHS)
    first = ui.wait_points(page, "train_live_loss", 0, runs_dir / run_id)
    later = ui.wait_points(page, "train_live_loss", first, runs_dir / run_id)
    shot("train-live", doc="train-live")
    expect_finished(page, runs_dir / run_id)
    logged = [e for e in history(runs_dir, run_id) if e["type"] == "train"]
    assert first < later < len(logged), "the chart should gain points while the run is still going"
    ui.wait_idle(page)
    assert ui.chart_points(page, "train_live_loss") == len(logged)
    shot("train-done", doc="train-done")
    ui.expect_no_traceback(page)

    ui.go_to(page, "Evaluate")
    expect(page.get_by_text("Per class")).to_be_visible()
    matrix = page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".heatmaplayer"))
    expect(matrix).to_be_visible()
    shot("evaluate", doc="evaluate")
    ui.expect_no_traceback(page)

    ui.go_to(page, "Predict")
    ui.key(page, "predict_text").locator("textarea").fill("where is my parcel? it is late")
    ui.key(page, "predict_button").get_by_role("button").click()
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Prediction")).to_be_visible()
    labels = set(json.loads((runs_dir / run_id / "metrics.json").read_text())["labels"])
    predicted = (
        page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").locator('[data-testid="stMetricValue"]')
    )
    assert predicted.inner_text().strip() in labels
    bars = page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".barlayer"))
    expect(bars).to_be_visible()
    assert bars.locator(".js-plotly-plot").evaluate("el => el.data[0].x.length || el.data[0].y.length") == len(labels)
    ui.wait_idle(page)
    shot("predict", doc="predict")
    ui.expect_no_traceback(page)

    runs_page(page, run_id, shot)
    served = deploy_and_call(page, shot)
    monitor_page(page, served, shot)


def runs_page(page: Page, run_id: str, shot) -> None:
    """The finished run is listed, selected (``?run=`` carried over) and deletable by its owner."""
    ui.go_to(page, "Runs")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # the runs (the settings fold below)
    expect(page.get_by_role("heading", name=run_id.split("-", 2)[-1])).to_be_visible()
    expect(ui.key(page, "runs_delete")).to_be_visible()
    ui.wait_idle(page)
    shot("runs", doc="runs")
    ui.expect_no_traceback(page)


def deploy_and_call(page: Page, shot) -> int:
    """Start the run's API (texts stored), send it texts from the demo table, stop it; returns how many."""
    ui.go_to(page, "Deploy")
    ui.key(page, "deploy_store_texts").get_by_role("checkbox").check(force=True)
    ui.wait_idle(page)
    ui.key(page, "deploy_start").get_by_role("button").click()
    metric = page.locator('[data-testid="stMetric"]')
    expect(metric.filter(has_text="Status").get_by_text("serving")).to_be_visible(timeout=RUN_TIMEOUT)
    url = ui.key(page, "deploy_url").locator("code").inner_text().strip()
    texts = pd.read_csv(DEMO)["message"].head(40).tolist()  # 30 or more: the Monitor page reports drift
    request = urllib.request.Request(f"{url}/predict", data=json.dumps({"inputs": texts}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as r:
        assert len(json.loads(r.read())) == len(texts)
    expect(metric.filter(has_text="Predictions").get_by_text(str(len(texts)))).to_be_visible()
    shot("deploy", doc="deploy")
    ui.expect_no_traceback(page)
    ui.key(page, "deploy_stop").get_by_role("button").click()  # the server writes its last log rows as it stops
    expect(page.get_by_text("Not deployed.")).to_be_visible()
    return len(texts)


def monitor_page(page: Page, served: int, shot) -> None:
    ui.go_to(page, "Monitor")
    predictions = page.locator('[data-testid="stMetric"]').filter(has_text="Predictions")
    expect(predictions.locator('[data-testid="stMetricValue"]')).to_have_text(str(served))
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(3)  # traffic, label mix, confidence
    expect(ui.key(page, "monitor_labels")).to_be_visible()  # the least sure texts, ready to label
    ui.wait_idle(page)
    shot("monitor", doc="monitor")
    ui.expect_no_traceback(page)


def test_refresh_mid_training_keeps_the_run(page: Page, e2e_model: Path, runs_dir: Path, shot) -> None:
    ui.open_app(page)
    ui.go_to(page, "Train")
    run_id = start_training(page, e2e_model, epochs=REFRESH_EPOCHS)
    before = ui.wait_points(page, "train_live_loss", 1, runs_dir / run_id)
    page.reload()
    ui.wait_idle(page)
    assert ui.query_param(page, "run") == run_id
    expect(ui.key(page, "stop_training")).to_be_visible()  # still running, and shown as such
    assert status(runs_dir, run_id)["status"] == "running"
    ui.wait_chart_points(page, "train_live_loss", before - 1)  # the curve so far came back at once
    shot("after-refresh", doc="train-after-refresh")
    expect_finished(page, runs_dir / run_id)
    ui.wait_idle(page)
    events = history(runs_dir, run_id)
    assert ui.chart_points(page, "train_live_loss") == sum(e["type"] == "train" for e in events)
    assert (
        ui.chart_points(page, "train_live_loss", trace=1) == sum(e["type"] == "eval" for e in events) == REFRESH_EPOCHS
    )
    ui.expect_no_traceback(page)


def test_stop_mid_training(page: Page, e2e_model: Path, runs_dir: Path, shot) -> None:
    ui.open_app(page)
    ui.go_to(page, "Train")
    run_id = start_training(page, e2e_model, epochs=40)
    # Stop once the first epoch is scored (a best model exists to keep). Stopping inside epoch 1 also
    # scores the model on the way out, which measured 2.0-3.4 s on a 2-core box: a known gap in the
    # engine's stop path (reported to the app owner), not something this test should paper over.
    ui.wait_points(page, "train_live_loss", 0, runs_dir / run_id, trace=1)
    clicked = time.time()
    ui.key(page, "stop_training").get_by_role("button").click()
    expect(page.get_by_text("Stopped", exact=True)).to_be_visible()
    shown = time.time() - clicked
    st = status(runs_dir, run_id)
    assert st["status"] == "stopped"
    ended = st["ended_at"] - clicked
    # On a shared machine running more than one busy process per core every step and the final save
    # slow down alike; the budget stretches by the oversubscription (1x on an idle CI machine).
    load = max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    after = [f"{e['type']}@{e['time'] - clicked:+.2f}" for e in history(runs_dir, run_id) if e["time"] > clicked - 1]
    print(f"stop: run ended {ended:.2f} s and the page showed it {shown:.2f} s after the click "
          f"(load x{load:.1f}); events: {after}")
    assert ended <= STOP_WITHIN_S * load, f"the run ended {ended:.1f} s after the click (load x{load:.1f})"
    assert (runs_dir / run_id / "model" / "config.json").is_file(), "the best model so far is kept"
    shot("stopped", doc="train-stopped")
    ui.expect_no_traceback(page)
