"""A person picks few-shot training in the Train page's method box, in either language, and gets a normal run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from . import ui

pytestmark = pytest.mark.e2e
RUN_TIMEOUT = 180_000
FEWSHOT_EN = "Few-shot (SetFit): a handful of labels per class"
FEWSHOT_ZH = "少样本（SetFit）：每类只有少量标注"


def pick_language(page: Page, option: str) -> None:
    ui.key(page, "sidebar_language").get_by_role("combobox").click()
    page.get_by_role("option", name=option).click()
    ui.wait_idle(page)


def test_few_shot_picked_in_the_method_box_trains_a_run_that_evaluate_opens(page: Page, e2e_model: Path,
                                                                           runs_dir: Path, shot) -> None:
    ui.open_app(page)
    ui.go_to(page, "Train")
    ui.fill_train_form(page, e2e_model, epochs=2)
    ui.expect_selected(page, "train_method", "Automatic: few-shot below 64 labels per class")
    ui.key(page, "train_method").get_by_role("combobox").click()  # open the box and pick, as a person does
    page.get_by_role("option", name=FEWSHOT_EN).click()
    ui.wait_idle(page)
    ui.expect_selected(page, "train_method", FEWSHOT_EN)
    pick_language(page, "简体中文")
    ui.expect_selected(page, "train_method", FEWSHOT_ZH)  # the choice holds, in the other language's words
    expect(page.get_by_text("训练方式")).to_be_visible()
    shot("method-zh")
    pick_language(page, "English")
    ui.expect_selected(page, "train_method", FEWSHOT_EN)
    shot("method-picked")

    ui.click_start(page)
    run_id = ui.wait_run_started(page, RUN_TIMEOUT)
    run_dir = runs_dir / run_id
    ui.wait_text(page, "Training finished", run_dir)
    assert json.loads((run_dir / "config.json").read_text())["trainer"] == "fewshot"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["model_kind"] == "fewshot"
    assert (run_dir / "model" / "model.safetensors").is_file()
    shot("fewshot-finished")
    ui.expect_no_traceback(page)

    ui.go_to(page, "Evaluate")
    expect(page.get_by_text("Per class")).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".heatmaplayer"))).to_be_visible()
    shot("fewshot-evaluate")
    ui.expect_no_traceback(page)
