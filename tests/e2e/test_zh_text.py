"""Chinese data from upload to explanation, as a person meets it: the Data page's checks count Chinese
characters (not Latin letters) and say what a token holds in Chinese characters; a TF-IDF model's word
weights name words, never punctuation ("。" was once the strongest "word")."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from . import ui
from .harness import ROOT

pytestmark = pytest.mark.e2e

ZH = ROOT / "examples" / "zh_reviews.csv"
PUNCTUATION = "。，！？；：、…!?,.;:"


def go_to(page: Page, title: str, path: str) -> None:
    """Sidebar navigation by the page's Chinese title (the address keeps the script's name)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/{path}(\?.*)?$"))
    ui.wait_idle(page)


def test_chinese_reviews_are_checked_in_characters_and_explained_in_words(page: Page, runs_dir: Path,
                                                                          shot) -> None:
    ui.open_app(page)
    ui.go_to(page, "Data")
    ui.upload(page, ZH)
    expect(page.get_by_text("(uploaded file)")).to_be_visible()
    # the language, as a person switches it: open the sidebar's box and pick 简体中文
    ui.key(page, "sidebar_language").get_by_role("combobox").click()
    page.get_by_role("option", name="简体中文").click()
    ui.wait_idle(page)
    expect(page.locator('[data-testid="stSidebarNav"]').get_by_text("训练", exact=True)).to_be_visible()
    main = page.locator('[data-testid="stMain"]')
    expect(main.get_by_text("zh_reviews.csv").first).to_be_visible()
    held = main.get_by_text(re.compile(r"128 个 token 约可容纳你的文本中 \d+ 个汉字"))
    expect(held).to_be_visible(timeout=120_000)  # the bundled tokenizer is loaded on first use
    n = int(re.search(r"(\d+) 个汉字", held.inner_text()).group(1))
    assert 64 <= n <= 160, f"a BERT-style vocabulary reads about one Chinese character per token, not {n}"
    expect(main.get_by_text("很短的文本")).to_have_count(0)  # normal reviews of 10-50 characters are not "short"
    held.scroll_into_view_if_needed()
    shot("zh-data-checks")

    go_to(page, "训练", "train")
    ui.key(page, "train_model_pick").get_by_role("combobox").click()
    page.get_by_role("option", name=re.compile("TF-IDF")).click()
    ui.wait_idle(page)
    expect(ui.key(page, "model_source").locator("input")).to_have_value("tfidf")
    ui.click_start(page)
    expect(page).to_have_url(ui.re_query("run"), timeout=120_000)
    run_id = ui.query_param(page, "run")
    ui.wait_text(page, "TF-IDF 模型已拟合", runs_dir / run_id)

    go_to(page, "预测", "predict")
    ui.key(page, "predict_text").locator("textarea").fill("质量太差了。。。物流太慢了！！客服也不理人。")
    ui.key(page, "predict_button").get_by_role("button").click()
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="预测结果")).to_be_visible()
    ui.key(page, "predict_explain").get_by_text("为什么是这个标签").click()
    ui.wait_idle(page)
    highlighted = main.locator(".tb-explained .tb-word")
    expect(highlighted.first).to_be_visible(timeout=60_000)
    words = highlighted.all_inner_texts()
    assert words and not any(w.strip(PUNCTUATION) == "" for w in words), words
    assert any(len(w) >= 2 for w in words), f"Chinese characters are not merged into words: {words}"
    # the table of top words below is a canvas grid (no text to read); it lists a subset of these words
    table = main.locator('[data-testid="stDataFrame"]').last
    expect(table).to_be_visible()
    table.scroll_into_view_if_needed()
    shot("zh-tfidf-explained")
    ui.expect_no_traceback(page)
