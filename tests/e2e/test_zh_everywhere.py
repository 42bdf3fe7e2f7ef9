"""A person who reads Chinese, with a Chinese table, opens every page of the app in Chinese — with every
expander opened and every tab shown — and reads no English word outside data, model names and units, no
markdown that was not drawn (a literal ``**``), and no Latin full stop joining Chinese sentences.

The runs are made the way a teammate's land in the shared folder (the CLI): a TF-IDF run and a transformer
run on the Chinese reviews, so that Runs, Compare, Evaluate, Predict, Distill, Deploy and Monitor all have
something to say. The words come from what Chromium shows (test_zh.py's collector).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tuneboard.data.model_choice import HUB_MODELS

from . import ui
from .harness import ROOT
from .test_person import train_cli
from .test_zh import FIXED_NAMES, english_leftovers, run_names, visible_texts

pytestmark = pytest.mark.e2e

ZH = ROOT / "examples" / "zh_reviews.csv"
# what Deploy's code examples are called (a command, a Python package, a class) and its export formats' names
CODE_NAMES = ("curl", "requests", "InferenceClient", "onnx-int8", "onnx")
# models named by their hub ids (the pages suggest models that read Chinese)
HUB_IDS = tuple(model.id for models in HUB_MODELS.values() for model in models)
# a Latin full stop (or colon, comma) right after a Chinese character: two Chinese sentences joined the
# English way ("…不可用. 请…")
_LATIN_STOP = re.compile(r"[\u4e00-\u9fff][.,:;!?](?:\s|$)")


def _open_everything(page: Page) -> None:
    """Open every closed expander and walk every tab, so their words are read too."""
    closed = '[data-testid="stMain"] [data-testid="stExpander"] details:not([open]) > summary'
    for summary in page.locator(closed).all():
        if summary.is_visible():
            summary.click()
    ui.wait_idle(page)


def _tab_texts(page: Page) -> list[str]:
    texts = []
    tabs = page.locator('[data-testid="stMain"] [role="tab"]')
    for i in range(tabs.count()):
        if tabs.nth(i).is_visible():
            tabs.nth(i).click()
            ui.wait_idle(page)
            _open_everything(page)
            texts += visible_texts(page)
    return texts


def _model_names(runs_dir: Path) -> list[str]:
    """The named models in this server's registry (other browser tests of the session may have made some)."""
    db = runs_dir.parent / "tuneboard.db"
    if not db.is_file():
        return []
    from tuneboard.registry.book import Registry

    return [m.name for m in Registry(db).list_models()]


def _nav_links(page: Page) -> list[str]:
    nav = page.locator('[data-testid="stSidebarNav"] a')
    return [nav.nth(i).get_attribute("href") or "" for i in range(nav.count())]


def test_every_page_reads_in_chinese_with_a_chinese_table(page: Page, e2e_model: Path, runs_dir: Path, shot) -> None:
    runs = [train_cli(runs_dir, e2e_model, "zh-bert", data=ZH, epochs=1),
            train_cli(runs_dir, Path("tfidf"), "zh-tfidf", data=ZH)]
    allow = [*FIXED_NAMES, *CODE_NAMES, *HUB_IDS, e2e_model.name, str(e2e_model), ZH.name,
             "评论", "情感", "正面", "负面", *(name for run in runs for name in run_names(runs_dir, run)),
             "local", *_model_names(runs_dir)]  # who made things, and names earlier tests gave models: data

    ui.open_app(page, "/?lang=zh")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="数据", exact=True).click()
    ui.wait_idle(page)
    ui.upload(page, ZH)
    expect(page.get_by_text("上传的文件").first).to_be_visible()

    seen: dict[str, list[str]] = {}
    for href in _nav_links(page):
        link = page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]')
        title = link.locator("span").last.inner_text().strip()
        link.click()
        expect(page).to_have_url(re.compile(re.escape(href.split("?")[0].rstrip("/")) + r"/?(\?.*)?$"))
        ui.wait_idle(page)
        _open_everything(page)
        texts = visible_texts(page) + _tab_texts(page)
        ui.expect_no_traceback(page)
        shot(f"zh-all-{href.rstrip('/').rsplit('/', 1)[-1] or 'home'}")
        seen[title] = texts

    assert len(seen) >= 9, f"the sidebar should list every page: {list(seen)}"
    # the transformer run too (the pages opened on the newest run, the TF-IDF one): its own views and a prediction
    page.goto(re.match(r"https?://[^/]+", page.url).group(0) + f"/evaluate?run={runs[0]}")  # whatever page was last
    ui.wait_idle(page)
    _open_everything(page)
    seen["评估 (transformer)"] = visible_texts(page) + _tab_texts(page)
    shot("zh-all-evaluate-transformer")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="预测", exact=True).click()
    ui.wait_idle(page)
    ui.key(page, "predict_text").locator("textarea").fill("质量很好，物流也快")
    ui.key(page, "predict_button").get_by_role("button").click()
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="预测结果")).to_be_visible()
    _open_everything(page)
    seen["预测 (transformer)"] = visible_texts(page)
    shot("zh-all-predict-transformer")
    ui.expect_no_traceback(page)
    problems = []
    for title, texts in seen.items():
        assert len(texts) > 3, f"{title}: too little text collected to mean anything: {texts}"
        problems += [f"[{title}] English: {text!r}" for text in english_leftovers(texts, allow)]
        problems += [f"[{title}] raw markdown: {text!r}" for text in sorted(set(texts)) if "**" in text]
        problems += [f"[{title}] Latin full stop: {text!r}" for text in sorted(set(texts)) if _LATIN_STOP.search(text)]
    assert not problems, "A Chinese page shows:\n" + "\n".join(problems)
