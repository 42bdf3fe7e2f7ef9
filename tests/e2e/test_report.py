"""The stakeholder report opened from disk (file://, no server, no network) in headless Chromium, in English
and in Chinese: its first screen, without scrolling, says what to do; nothing in it needs a script."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import sentiment_rows
from tuneboard import i18n
from tuneboard.config import TrainConfig
from tuneboard.evaluate.report import write_report
from tuneboard.train.pipeline import execute

from . import ui
from .test_person import train_cli

pytestmark = pytest.mark.e2e
SCREEN = {"width": 1280, "height": 800}  # a laptop's first screen


@pytest.fixture(scope="module")
def run_path(tiny_model: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    data = folder / "reviews.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("review", "sentiment", "channel"),
                                 *((t, label, "web" if i % 3 else "app")
                                   for i, (t, label) in enumerate(sentiment_rows(160)))])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUNEBOARD_RUNS_DIR", str(folder / "runs"))
        return execute(TrainConfig(data=str(data), model=tiny_model, epochs=1, batch_size=16, learning_rate=3e-3,
                                   freeze_embeddings=False)).run.path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_reports_first_screen_says_what_to_do_offline_and_in_print(browser: Browser, run_path: Path,
                                                                        tmp_path: Path, lang: str) -> None:
    i18n.set_language(lang)
    try:
        report = write_report(run_path, tmp_path / f"report-{lang}.html")
        words = {k: i18n.t(k) for k in ("report.title", "report.how_often", "report.risks", "report.next")}
        calls = {i18n.t(f"report.call_{v}") for v in ("ship", "not_yet", "use_baseline")}
    finally:
        i18n.set_language("en")
    page = browser.new_page(viewport=SCREEN)  # not the app's page fixture: no server is needed, nor started
    asked: list[str] = []
    try:
        page.route("**/*", lambda route: (asked.append(route.request.url), route.abort())
                   if not route.request.url.startswith("file:") else route.continue_())
        page.goto(report.as_uri())
        expect(page.get_by_role("heading", name=words["report.title"], level=1)).to_be_visible()
        verdict = page.locator(".verdict .call")
        expect(verdict).to_have_count(1)
        assert verdict.inner_text() in calls  # one of the three recommendations, in the reader's language
        for part in (verdict, page.get_by_role("heading", name=words["report.how_often"]),
                     page.locator(".pairs .example").first, page.get_by_role("heading", name=words["report.risks"])):
            expect(part).to_be_in_viewport()  # on the first screen, no scrolling
        expect(page.get_by_role("heading", name=words["report.next"])).not_to_be_in_viewport()  # details below
        assert page.locator("script").count() == 0 and asked == []  # nothing runs, nothing is fetched
        expect(page.locator("table.grid td.cell").first).to_be_visible()  # the confusion grid drew its cells
        expect(page.locator(".tb-word").first).to_be_attached()  # highlighted words of the examples
        page.emulate_media(media="print")
        expect(verdict).to_be_visible()
    finally:
        page.close()


def test_a_person_downloads_the_report_from_evaluate_in_english_then_in_chinese(page: Page, runs_dir: Path,
                                                                              e2e_model: Path, tmp_path: Path) -> None:
    run_id = train_cli(runs_dir, e2e_model, "report")
    ui.open_app(page, f"/evaluate?run={run_id}")
    for lang, option in (("en", None), ("zh", "简体中文")):
        if option:  # the language box in the sidebar, with the mouse
            ui.key(page, "sidebar_language").get_by_role("combobox").click()
            page.get_by_role("option", name=option).click()
            ui.wait_idle(page)
        i18n.set_language(lang)
        try:
            build, download = i18n.t("insights.report"), i18n.t("insights.report_download")
            calls = {i18n.t(f"report.call_{v}") for v in ("ship", "not_yet", "use_baseline")}
        finally:
            i18n.set_language("en")
        # the report built in the other language is not offered as this one
        expect(page.get_by_role("button", name=download)).to_have_count(0)
        page.get_by_role("button", name=build).click()
        ui.patiently(lambda ms, name=download: expect(page.get_by_role("button", name=name)).to_be_visible(timeout=ms))
        with page.expect_download() as got:
            page.get_by_role("button", name=download).click()
        saved = tmp_path / f"{lang}.html"
        got.value.save_as(saved)
        assert got.value.suggested_filename == f"{run_id}-report.html"
        report = page.context.new_page()
        try:
            report.set_viewport_size(SCREEN)
            report.goto(saved.as_uri())
            expect(report.locator(".verdict .call")).to_be_in_viewport()
            assert report.locator(".verdict .call").inner_text() in calls
            expect(report.locator("html")).to_have_attribute("lang", lang)
        finally:
            report.close()
    ui.expect_no_traceback(page)
