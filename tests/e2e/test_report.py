"""The stakeholder report opened from disk (file://, no server) in headless Chromium: its charts draw."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.report import write_report
from tuneboard.training import execute

pytestmark = pytest.mark.e2e


def test_report_opens_from_disk_with_working_charts(browser: Browser, tiny_model: str, tmp_path: Path) -> None:
    data = tmp_path / "reviews.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("review", "sentiment"), *sentiment_rows(160)])
    run = execute(TrainConfig(data=str(data), model=tiny_model, epochs=1, batch_size=16, learning_rate=3e-3,
                              freeze_embeddings=False)).run.path
    report = write_report(run, tmp_path / "report.html")
    page = browser.new_page()  # not the app's page fixture: no server is needed, nor started
    try:
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                   else route.continue_())  # offline: any network request would fail the charts
        page.goto(report.as_uri())
        charts = page.locator(".chart")
        expect(charts.first.locator(".main-svg").first).to_be_visible()
        count = charts.count()
        assert count >= 3
        for i in range(count):
            expect(charts.nth(i).locator(".main-svg").first).to_be_attached()
        expect(page.locator(".plotly .heatmaplayer")).to_have_count(1)  # the confusion matrix drew its cells
        expect(page.locator(".tb-word").first).to_be_visible()  # highlighted words of the examples
        expect(page.get_by_role("heading", name="How good it is")).to_be_visible()
    finally:
        page.close()
