"""The Train page's advanced settings are drawn group by group from the settings table: a person opens them,
types a value and presses Enter, and the run they start records that value in its config.json; the groups
keep their values when the page switches to 中文 and back."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from . import ui

pytestmark = pytest.mark.e2e
RUN_TIMEOUT = 180_000
GROUPS = {"Training": "训练", "Early stopping and regularisation": "早停与正则化",
          "Imbalanced classes and LoRA": "类别不均衡与 LoRA"}


def pick_language(page: Page, name: str, advanced: str) -> None:
    """Pick the language in the sidebar's box; open the advanced settings (titled ``advanced`` now) if it closed."""
    ui.key(page, "sidebar_language").get_by_role("combobox").click()
    page.get_by_role("option", name=name).click()
    ui.wait_idle(page)
    details = page.locator("details").filter(has_text=advanced)
    if details.get_attribute("open") is None:
        page.get_by_text(advanced, exact=True).click()
        ui.wait_idle(page)


def test_a_typed_advanced_setting_reaches_the_runs_config(page: Page, e2e_model: Path, runs_dir: Path, shot) -> None:
    ui.open_app(page)
    ui.go_to(page, "Data")
    ui.go_to(page, "Train")
    ui.set_input(page, "model_source", str(e2e_model))
    ui.choose_radio(page, "preset", "fast")
    ui.set_advanced(page, epochs=1, batch_size=8, label_smoothing="0.15")  # typed, then Enter
    expander = page.locator('[data-testid="stExpander"]')
    for english in GROUPS:
        expect(expander.get_by_text(english, exact=True)).to_be_visible()
    shot("advanced-settings")
    # another language and back: the groups speak it, and the typed value stays
    pick_language(page, "简体中文", "高级设置")
    for chinese in GROUPS.values():
        expect(expander.get_by_text(chinese, exact=True)).to_be_visible()
    expect(ui.key(page, "train_label_smoothing").locator("input")).to_have_value("0.15")
    pick_language(page, "English", "Advanced settings")
    expect(ui.key(page, "train_label_smoothing").locator("input")).to_have_value("0.15")
    ui.click_start(page)
    run_id = ui.wait_run_started(page, timeout=RUN_TIMEOUT)
    ui.wait_text(page, "Training finished", runs_dir / run_id)
    saved = json.loads((runs_dir / run_id / "config.json").read_text(encoding="utf-8"))
    assert (saved["label_smoothing"], saved["epochs"], saved["batch_size"]) == (0.15, 1, 8)
    ui.expect_no_traceback(page)
