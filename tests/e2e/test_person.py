"""What a person does that a widget-state test cannot: pick from a select box with the mouse and the keyboard,
type and press Enter, refresh, open a second tab, come back with another language — on a real server.

Each test says which defect it guards against; every wait is on something visible.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from . import ui
from .harness import DEMO, ROOT

pytestmark = pytest.mark.e2e
RUN_TIMEOUT = 180_000


def train_cli(runs_dir: Path, model: Path, name: str, data: Path = DEMO, epochs: int = 1) -> str:
    """A finished run made with the CLI (how a teammate's run lands in the shared runs folder); its id."""
    out = subprocess.run([sys.executable, "-m", "tuneboard", "train", str(data), "--model", str(model),
                          "--epochs", str(epochs), "--output", str(runs_dir), "--name", name, "--quiet",
                          "--no-auto-batch-size", "--batch-size", "16"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, check=True)
    return Path(out.stdout.strip().splitlines()[-1]).name


@pytest.fixture(scope="module")
def two_runs(runs_dir: Path, e2e_model: Path) -> list[str]:
    """Two finished runs, oldest first."""
    return [train_cli(runs_dir, e2e_model, "picker-old"), train_cli(runs_dir, e2e_model, "picker-new")]


def open_picker(page: Page) -> None:
    ui.key(page, "run_pick").get_by_role("combobox").click()
    expect(page.get_by_role("option").first).to_be_visible()


@pytest.mark.parametrize("screen", ["Evaluate", "Predict", "Deploy", "Monitor"])
def test_picking_another_run_keeps_it(page: Page, two_runs: list[str], screen: str, shot) -> None:
    old, new = two_runs
    ui.open_app(page)
    ui.go_to(page, screen)
    ui.wait_idle(page)
    # the mouse: open the box, click the older run
    open_picker(page)
    page.get_by_role("option", name=re.compile(re.escape(old.split("-", 2)[2]))).click()
    ui.wait_idle(page)
    expect(page).to_have_url(re.compile(rf"[?&]run={re.escape(old)}"))
    expect(ui.key(page, "run_pick").get_by_role("combobox")).to_have_value(re.compile(re.escape(old.split("-", 2)[2])))
    shot(f"{screen.lower()}-picked")
    # the keyboard: focus the box, arrow to the other run, Enter
    box = ui.key(page, "run_pick").get_by_role("combobox")
    box.click()
    box.press("ArrowUp" if _index_of(page, new) < _index_of(page, old) else "ArrowDown")
    box.press("Enter")
    ui.wait_idle(page)
    expect(page).to_have_url(re.compile(rf"[?&]run={re.escape(new)}"))
    expect(box).to_have_value(re.compile(re.escape(new.split("-", 2)[2])))
    # a refresh keeps the pick
    page.reload()
    ui.wait_idle(page)
    expect(ui.key(page, "run_pick").get_by_role("combobox")).to_have_value(re.compile(re.escape(new.split("-", 2)[2])))
    ui.expect_no_traceback(page)


def _index_of(page: Page, run_id: str) -> int:
    options = page.get_by_role("option").all_inner_texts()
    return next(i for i, o in enumerate(options) if run_id.split("-", 2)[2] in o)


def test_an_uploaded_file_survives_a_refresh_and_a_second_tab(page: Page, browser: Browser, app_url: str,
                                                             tmp_path: Path) -> None:
    mine = tmp_path / "my_tickets.csv"
    mine.write_bytes(DEMO.read_bytes())
    ui.choose_upload(page, mine)
    page.reload()
    ui.wait_idle(page)
    expect(page.get_by_text("my_tickets.csv")).to_be_visible()
    second = page.context.new_page()
    second.goto(f"{app_url}/train")
    ui.wait_idle(second)
    expect(second.get_by_text("my_tickets.csv")).to_be_visible()
    ui.expect_no_traceback(second)


def test_a_language_from_the_address_sticks_after_a_reload(browser: Browser, app_url: str) -> None:
    context = browser.new_context(base_url=app_url, locale="zh-CN", viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto("/?lang=en")
        ui.wait_idle(page)
        expect(page.get_by_role("heading", name="Tuneboard").first).to_be_visible()
        expect(page.locator('[data-testid="stSidebarNav"]').get_by_text("Train", exact=True)).to_be_visible()
        page.goto("/")  # no parameter: the browser says Chinese, the person said English
        ui.wait_idle(page)
        expect(page.locator('[data-testid="stSidebarNav"]').get_by_text("Train", exact=True)).to_be_visible()
        page.goto("/?lang=zh")
        ui.wait_idle(page)
        page.goto("/")
        ui.wait_idle(page)
        expect(page.locator('[data-testid="stSidebarNav"]').get_by_text("训练", exact=True)).to_be_visible()
    finally:
        context.close()


def test_the_model_list_offers_base_models_only(page: Page, e2e_model: Path) -> None:
    # the default layout keeps runs inside the models folder (models/runs): a finished run is no base model
    train_cli(e2e_model.parent / "runs", e2e_model, "fine-tuned")
    ui.open_app(page)
    ui.go_to(page, "Train")
    ui.key(page, "train_model_pick").get_by_role("combobox").click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert any("tiny-bert" in o for o in options), options
    assert not any("fine-tuned" in o for o in options), f"a finished run offered as a base model: {options}"
    page.get_by_role("link", name="Home").click()
    ui.wait_idle(page)
    expect(page.get_by_text("tiny-bert").first).to_be_visible()
    assert "fine-tuned" not in page.locator('[data-testid="stMain"]').inner_text()


def test_enter_in_a_number_box_does_not_start_distillation(page: Page, two_runs: list[str], runs_dir: Path,
                                                           shot) -> None:
    teacher = two_runs[1]
    before = {p.name for p in runs_dir.iterdir()}
    ui.open_app(page, f"/distill?run={teacher}")
    ui.set_input(page, "distill_epochs", "2")  # types 2 and presses Enter
    ui.wait_idle(page)
    assert {p.name for p in runs_dir.iterdir()} == before, "pressing Enter queued a student"
    ui.key(page, "distill_start").get_by_role("button").click()
    expect(page.get_by_role("heading", name="Its student")).to_be_visible(timeout=RUN_TIMEOUT)
    ui.wait_idle(page)
    students = [p for p in runs_dir.iterdir() if p.name not in before and (p / "config.json").is_file()]
    assert len(students) == 1, [p.name for p in students]
    assert json.loads((students[0] / "config.json").read_text())["epochs"] == 2
    shot("one-student")
    ui.expect_no_traceback(page)


def test_a_tfidf_run_shows_its_score_and_links_onward_not_empty_training_charts(page: Page, shot) -> None:
    ui.open_app(page)
    ui.go_to(page, "Train")
    ui.set_input(page, "model_source", "tfidf")  # types it and presses Enter
    ui.click_start(page)
    # it may finish before its Stop button is ever drawn: wait for the words (two minutes without a change, at most)
    ui.patiently(lambda ms: expect(page.get_by_text("Finished: the TF-IDF model").first).to_be_visible(timeout=ms))
    ui.wait_idle(page)
    expect(page.locator(".st-key-train_live_metric .js-plotly-plot")).to_have_count(1)
    for empty in ("train_live_loss", "train_live_lr"):  # a model fitted in one go has no steps to draw
        expect(page.locator(f".st-key-{empty}")).to_have_count(0)
    expect(page.get_by_text("best checkpoint")).to_have_count(0)
    shot("tfidf-finished")
    page.get_by_role("link", name="See how good it is").click()  # a real link, not bold words
    expect(page).to_have_url(re.compile(r"/evaluate"))
    ui.wait_idle(page)
    ui.expect_no_traceback(page)
