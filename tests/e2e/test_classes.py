"""A table labeled 0/1, named on Data by typing like a person: the names show on Evaluate, Predict, the report
and the API's answer; renaming the finished run's classes on Evaluate shows the new names without training.

Every wait is an ``expect`` on something visible, or a bounded poll of the API's health.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import sentiment_rows
from tuneboard.serve import deploy
from tuneboard.team import access

from . import ui

pytestmark = pytest.mark.e2e

SERVE_TIMEOUT = 180_000
CODES = {"negative": "0", "positive": "1"}
NAMES = re.compile(r"^(negative|positive)$")


def metric(page: Page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def type_name(page: Page, box: str, text: str) -> None:
    """Click a box of the names form and type, as a person does (the form sends it on Save)."""
    field = page.get_by_label(box, exact=True)
    field.click()
    field.press_sequentially(text)
    expect(field).to_have_value(text)


def matrix_ticks(page: Page):
    matrix = page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".heatmaplayer"))
    return matrix.locator(".xtick text")


def test_classes_named_on_data_show_on_evaluate_predict_the_report_and_the_api(
        page: Page, browser: Browser, runs_dir: Path, tmp_path: Path, monkeypatch, shot) -> None:
    monkeypatch.setenv("TUNEBOARD_RUNS_DIR", str(runs_dir))  # the app server's runs: the test sees its deployments
    data = tmp_path / "coded_reviews.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        rows = sentiment_rows(160)
        csv.writer(f).writerows([("review", "label"), *[(text, CODES[label]) for text, label in rows]])
    negative_text = next(text for text, label in rows if label == "negative")

    # Data: the labels are codes, so the names form is there; type the names and save
    ui.open_app(page)
    ui.go_to(page, "Data")
    ui.upload(page, data)
    expect(page.get_by_text("(uploaded file)")).to_be_visible()
    expect(page.get_by_text("Name the classes")).to_be_visible()
    type_name(page, "Name of 0", "negative")
    type_name(page, "Description of 0", "Unhappy customers")
    type_name(page, "Name of 1", "Negative")  # a slip: the same name twice is refused, in one line
    page.get_by_role("button", name="Save names").click()
    expect(page.get_by_text("Two classes are named 'Negative'")).to_be_visible()
    page.get_by_label("Name of 1", exact=True).fill("")
    type_name(page, "Name of 1", "positive")
    type_name(page, "Description of 1", "Happy customers")
    page.get_by_role("button", name="Save names").click()
    expect(page.get_by_text("Names saved")).to_be_visible()
    ui.wait_idle(page)
    shot("data-named", doc="data-class-names")
    page.reload()  # remembered: the boxes come back filled
    ui.wait_idle(page)
    expect(page.get_by_label("Name of 0", exact=True)).to_have_value("negative")
    expect(page.get_by_label("Description of 1", exact=True)).to_have_value("Happy customers")

    # Train the TF-IDF model on it
    ui.go_to(page, "Train")
    expect(page.get_by_text(data.name)).to_be_visible()
    ui.set_input(page, "model_source", "tfidf")
    ui.click_start(page)
    ui.patiently(lambda ms: expect(page.get_by_text("Finished: the TF-IDF model").first).to_be_visible(timeout=ms))
    run_id = ui.query_param(page, "run")
    assert run_id

    # Evaluate: the confusion matrix speaks the names
    page.get_by_role("link", name="See how good it is").click()
    expect(page).to_have_url(re.compile(r"/evaluate"))
    ui.wait_idle(page)
    expect(matrix_ticks(page).filter(has_text="negative")).to_have_count(1)
    expect(matrix_ticks(page).filter(has_text=re.compile(r"^[01]$"))).to_have_count(0)
    shot("evaluate-named", doc="evaluate-class-names")

    # the report, built and downloaded from Evaluate, opened as a file
    ui.key(page, "insights_build_report").get_by_role("button").click()
    with page.expect_download() as got:
        ui.key(page, "insights_report_download").get_by_role("button").click()
    report = tmp_path / "report.html"
    got.value.save_as(report)
    html = report.read_text(encoding="utf-8")
    assert "negative" in html and "positive" in html

    # Predict: type a text, press the button
    ui.go_to(page, "Predict")
    page.get_by_label("Text (several texts at once: one per line)").fill(negative_text)
    ui.key(page, "predict_button").get_by_role("button").click()
    expect(metric(page, "Prediction")).to_have_text(NAMES)
    expect(page.get_by_text(re.compile(r"(Unhappy|Happy) customers"))).to_be_visible()
    shot("predict-named")

    # the API: deployed from the app, called like a product would
    run_path = runs_dir / run_id
    try:
        ui.open_app(page, f"/deploy?run={run_id}")
        ui.key(page, "deploy_start").get_by_role("button").click()
        expect(metric(page, "Status")).to_have_text("serving", timeout=SERVE_TIMEOUT)
        url = ui.key(page, "deploy_url").locator("code").inner_text().strip()
        answer = httpx.post(f"{url}/predict", json={"inputs": negative_text}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert {entry["label"] for entry in answer.json()[0]} == {"negative", "positive"}

        # rename the finished run's classes on Evaluate: new names at once, no new run, the API needs a restart
        ui.open_app(page, f"/evaluate?run={run_id}")
        page.get_by_text("Class names", exact=True).click()
        for code, name in (("0", "unhappy"), ("1", "happy")):
            box = page.get_by_label(f"Name of {code}", exact=True)
            box.click()
            box.press("ControlOrMeta+a")
            box.press_sequentially(name)
        page.get_by_role("button", name="Rename").click()
        expect(page.get_by_text("Renamed.")).to_be_visible()
        expect(page.get_by_text("restart it on Deploy")).to_be_visible()
        expect(matrix_ticks(page).filter(has_text="unhappy")).to_have_count(1)
        page.get_by_text("Renamed.").scroll_into_view_if_needed()
        shot("evaluate-renamed")
        assert sorted(p.name for p in runs_dir.iterdir() if (p / "config.json").is_file()).count(run_id) == 1
        ui.go_to(page, "Predict")
        page.get_by_label("Text (several texts at once: one per line)").fill(negative_text)
        ui.key(page, "predict_button").get_by_role("button").click()
        expect(metric(page, "Prediction")).to_have_text(re.compile(r"^(unhappy|happy)$"))
    finally:
        deploy.stop_deployment(run_id, user=access.LOCAL)
    assert run_path.is_dir()

    # the same screens in Chinese, and back
    ui.open_app(page, "/data?lang=zh")
    expect(page.get_by_text("为类别命名")).to_be_visible()
    expect(page.get_by_label("0 的名称", exact=True)).to_have_value("negative")
    page.get_by_text("为类别命名").scroll_into_view_if_needed()
    shot("zh-data-named")
    ui.open_app(page, f"/evaluate?run={run_id}&lang=zh")
    expect(matrix_ticks(page).filter(has_text="unhappy")).to_have_count(1)
    shot("zh-evaluate-named")
    ui.open_app(page, "/data?lang=en")
    expect(page.get_by_text("Name the classes")).to_be_visible()
    ui.expect_no_traceback(page)
