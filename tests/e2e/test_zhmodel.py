"""A Chinese file on Train: the model box holds a model that reads Chinese (TF-IDF here: the bundled MiniLM and
the tiny English BERT do not), with the reason in English and in Chinese; the person can still pick another
model with the mouse, and that pick survives a refresh. An admin imports a model .zip and picks it.

The server is single-user, so its one person is an admin; the engine's refusal of everyone else is a unit test.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from . import ui
from .harness import ROOT

pytestmark = pytest.mark.e2e
ZH = ROOT / "examples" / "zh_reviews.csv"
REASON_EN = "Preselected the TF-IDF model: your texts are mostly Chinese"
REASON_ZH = "已预选 TF-IDF 模型：你的文本主要是中文"


def model_box(page: Page):
    return ui.key(page, "model_source").locator("input")


def pick_model(page: Page, option: str) -> None:
    """Open the model select box with the mouse and click the option whose text starts with ``option``."""
    # a slash ends Playwright's /regex/ in the selector it builds: escaped
    wanted = page.get_by_role("option", name=re.compile("^" + re.escape(option).replace("/", r"\/")))
    for _ in range(3):  # a rerun that ends while the box is open closes it: open it again
        ui.wait_idle(page)
        ui.key(page, "train_model_pick").get_by_role("combobox").click()
        try:
            expect(wanted).to_be_visible(timeout=10_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    wanted.click()
    ui.wait_idle(page)


def switch_language(page: Page, name: str) -> None:
    ui.key(page, "sidebar_language").get_by_role("combobox").click()
    page.get_by_role("option", name=name, exact=True).click()
    ui.wait_idle(page)


def test_a_chinese_file_gets_a_model_that_reads_it_with_the_reason_and_a_pick_sticks(
        page: Page, e2e_model: Path, tmp_path: Path, shot) -> None:
    mine = tmp_path / "my_reviews.csv"
    shutil.copyfile(ZH, mine)
    ui.choose_upload(page, mine)
    expect(model_box(page)).to_have_value("tfidf")
    expect(ui.key(page, "train_model_pick").get_by_role("combobox")).to_have_value(re.compile("^TF-IDF"))
    expect(page.get_by_text(REASON_EN)).to_be_visible()
    expect(page.get_by_text("Models on the Hugging Face hub that read Chinese")).to_be_visible()
    shot("train-zh-data-en")

    switch_language(page, "简体中文")
    expect(page.get_by_text(REASON_ZH)).to_be_visible()
    expect(model_box(page)).to_have_value("tfidf")
    page.get_by_text("Hugging Face 模型中心上能读懂中文的模型").click()
    expect(page.get_by_text("本服务器处于离线模式（HF_HUB_OFFLINE=1），无法下载这些模型")).to_be_visible()
    shot("train-zh-data-zh")
    switch_language(page, "English")

    # the hub models are in the list, with their size; the person picks the tiny BERT on purpose
    ui.key(page, "train_model_pick").get_by_role("combobox").click()
    expect(page.get_by_role("option", name=re.compile(r"^hfl\/rbt3 \(Hugging Face hub · 38\.0 M parameters"))) \
        .to_be_visible()
    page.keyboard.press("Escape")
    pick_model(page, "tiny-bert")
    expect(model_box(page)).to_have_value(str(e2e_model))
    expect(page.get_by_text(REASON_EN)).to_have_count(0)
    expect(page.get_by_text(re.compile(r"You picked tiny-bert: \d+\.\d% of your texts' tokens are unknown to it"))) \
        .to_be_visible()
    page.reload()
    ui.wait_idle(page)
    expect(page.get_by_text("my_reviews.csv")).to_be_visible()
    expect(model_box(page)).to_have_value(str(e2e_model))
    expect(ui.key(page, "train_model_pick").get_by_role("combobox")).to_have_value(re.compile("^tiny-bert"))
    expect(page.get_by_text(REASON_EN)).to_have_count(0)
    shot("train-zh-data-picked-after-refresh")

    # a hub model picked on this offline server says why it cannot be had, in Chinese to the end
    pick_model(page, "hfl/rbt3")
    switch_language(page, "简体中文")
    expect(page.get_by_text("离线模式（HF_HUB_OFFLINE=1），且下载缓存中没有该模型")).to_be_visible()
    expect(page.get_by_text("couldn't connect")).to_have_count(0)
    shot("train-hub-offline-zh")
    switch_language(page, "English")
    ui.expect_no_traceback(page)


def test_an_admin_imports_a_model_zip_and_picks_it(page: Page, tiny_model: str, e2e_model: Path,
                                                   tmp_path: Path, shot) -> None:
    archive = tmp_path / "imported-bert.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in Path(tiny_model).iterdir():
            zf.write(f, f"imported-bert/{f.name}")
    ui.open_app(page)
    ui.go_to(page, "Train")
    page.get_by_text("Import a model (admins)").click()
    dropzone = ui.key(page, "model_import_zip").locator('[data-testid="stFileUploaderDropzoneInput"]')
    dropzone.set_input_files(str(archive))
    ui.wait_idle(page)
    ui.key(page, "model_import_go").get_by_role("button").click()
    expect(page.get_by_text("Imported 'imported-bert': pick it in the model list.")).to_be_visible()
    shot("train-imported")
    pick_model(page, "imported-bert")
    expect(model_box(page)).to_have_value(str(e2e_model.parent / "imported-bert"))
    expect(page.get_by_text("Parameters").first).to_be_visible()
    page.reload()
    ui.wait_idle(page)
    expect(model_box(page)).to_have_value(str(e2e_model.parent / "imported-bert"))
    shot("train-imported-picked")
    ui.expect_no_traceback(page)


def test_evaluate_names_a_model_that_reads_chinese_not_a_bigger_one(page: Page, e2e_model: Path, runs_dir: Path,
                                                                     tmp_path: Path, shot) -> None:
    mine = tmp_path / "reviews_for_eval.csv"
    shutil.copyfile(ZH, mine)
    ui.choose_upload(page, mine)
    run_id = ui.start_training(page, e2e_model, epochs=1)  # the English tiny BERT, typed in on purpose
    ui.wait_text(page, "Training finished", runs_dir / run_id)
    ui.go_to(page, "Evaluate")
    expect(page.get_by_text("The model does not read this language")).to_be_visible()
    expect(page.get_by_text(re.compile(r"tokens are unknown to this model .* hfl/rbt3"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"(larger|bigger) model(?! with the same vocabulary)"))).to_have_count(0)
    shot("evaluate-language-en")
    switch_language(page, "简体中文")
    expect(page.get_by_text("该模型读不懂这种语言")).to_be_visible()
    shot("evaluate-language-zh")
    switch_language(page, "English")
    ui.expect_no_traceback(page)
