"""With the language set to Chinese, a browser walks Data → Train → Evaluate → Predict
and finds no English UI text other than data, model names and units.

The words come from what Chromium actually shows (visible text nodes of the main area and the sidebar, plus
the titles of the Plotly charts); data-bearing parts are left out (tables, code, typed text, chart tick
labels, the bilingual language switcher, icon ligatures). The allow-list is the AppTest checks' one
(tests/app/zh_check.py) plus the demo table's own columns and labels and the run's and model's names.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.app.zh_check import ALLOWED_PHRASES, ALLOWED_WORDS, WORD, _clean

from . import ui
from .harness import DEMO

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120_000  # as test_app.py: the first run of a session also pays the server's heavy imports
# Names the pages show as they are (see tests/app/test_zh_app.py): bundled example files, the default
# model's label, a model class, an encoding, and the presets' own ids where a table lists them.
FIXED_NAMES = ("support_tickets_multilabel.csv", "review_ratings.csv", "faq_pairs.csv", "zh_reviews.csv",
               "default", "BertModel", "utf-8", "Macro-F1",
               "[UNK]")  # the tokenizer's unknown-token symbol, as the tokenizer spells it

# Collected in the browser: visible text nodes under main/sidebar, minus data-bearing or bilingual parts;
# each Plotly chart contributes its title, axis titles and legend (not its tick labels). The file uploader's
# drop zone ("Upload", "200MB per file", the file types) is Streamlit's own, with no way to translate it:
# left out here and named in the report; the uploader's label (ours) is checked.
_COLLECT_JS = r"""() => {
  const skip = ['[data-testid="stDataFrame"]', '[data-testid="stTable"]', '[data-testid="stCode"]', 'pre', 'code',
                '.st-key-sidebar_language', '[data-testid^="stIcon"]', '.js-plotly-plot', 'textarea', 'input',
                '[data-testid="stToolbar"]', '[data-testid="stFileUploaderDropzone"]'].join(',');
  const out = [];
  for (const root of document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebar"]')) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const el = node.parentElement;
      if (!text || !el || el.closest(skip)) continue;
      if (!el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) continue;
      if (/Material/i.test(getComputedStyle(el).fontFamily)) continue;  // icon ligatures
      out.push(text);
    }
  }
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    if (!plot.checkVisibility()) continue;
    for (const t of plot.querySelectorAll('.gtitle, .g-xtitle text, .g-ytitle text, .legendtitletext')) {
      if (t.textContent.trim()) out.push(t.textContent.trim());
    }
    for (const trace of plot.data || []) {
      if (trace.showlegend !== false && trace.name && plot.querySelector('.legend')) out.push(String(trace.name));
    }
  }
  return out;
}"""


def demo_names() -> list[str]:
    """The demo table's column names and label values: data, shown as it is."""
    with open(DEMO, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    label = header.index("intent")
    return [DEMO.name, *header, *{row[label] for row in body if len(row) > label}]


def run_names(runs_dir: Path, run_id: str) -> list[str]:
    """The run's id, its short name and its parts, its folder and its owner."""
    short = run_id.split("-", 2)[-1]
    names = [run_id, short, *short.split("-"), str(runs_dir / run_id)]
    owner = runs_dir / run_id / "owner.json"
    if owner.is_file():
        names += [str(v) for v in json.loads(owner.read_text()).values() if isinstance(v, str)]
    return names


def english_leftovers(strings: list[str], allow: list[str]) -> list[str]:
    """The strings that hold an ASCII word (3+ letters) outside the allow-lists (zh_check's logic)."""
    phrases = [p.lower() for p in sorted({a for a in (*allow, *ALLOWED_PHRASES) if a}, key=len, reverse=True)]
    found = []
    for text in strings:
        cleaned = _clean(text).lower()
        for phrase in phrases:
            cleaned = re.sub(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])", " ", cleaned)
        if any(word not in ALLOWED_WORDS for word in WORD.findall(cleaned)):
            found.append(text)
    return sorted(set(found))


def visible_texts(page: Page) -> list[str]:
    ui.wait_idle(page)
    return page.evaluate(_COLLECT_JS)


def go_to(page: Page, title: str, path: str) -> None:
    """Sidebar navigation by the page's Chinese title; the URL path stays the script's name."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/{path}(\?.*)?$"))
    ui.wait_idle(page)


def test_data_train_evaluate_predict_in_chinese(page: Page, e2e_model: Path, runs_dir: Path, shot) -> None:
    allow = [*FIXED_NAMES, *demo_names(), e2e_model.name, str(e2e_model)]
    seen: dict[str, list[str]] = {}

    ui.open_app(page, "/?lang=zh")
    go_to(page, "数据", "data")
    ui.expect_selected(page, "text_column", "message")  # the demo table, as it is
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    seen["data"] = visible_texts(page)
    shot("zh-data")

    go_to(page, "训练", "train")
    ui.set_input(page, "model_source", str(e2e_model))
    ui.choose_radio(page, "preset", "快速")
    page.get_by_text("高级设置").click()
    ui.set_input(page, "train_epochs", "2")
    ui.set_input(page, "train_batch_size", "8")
    ui.click_start(page)
    run_id = ui.wait_run_started(page, timeout=RUN_TIMEOUT)
    ui.wait_points(page, "train_live_loss", 0, runs_dir / run_id)  # drawn by the live panel's own reruns
    seen["train (live)"] = visible_texts(page)
    ui.wait_text(page, "训练完成", runs_dir / run_id)
    seen["train"] = visible_texts(page)
    shot("zh-train")
    allow += run_names(runs_dir, run_id)

    go_to(page, "评估", "evaluate")
    expect(page.get_by_text("各类别表现").first).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]').filter(has=page.locator(".heatmaplayer"))).to_be_visible()
    seen["evaluate"] = visible_texts(page)
    shot("zh-evaluate")

    go_to(page, "预测", "predict")
    ui.key(page, "predict_text").locator("textarea").fill("where is my parcel? it is late")
    ui.key(page, "predict_button").get_by_role("button").click()
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="预测结果")).to_be_visible()
    seen["predict"] = visible_texts(page)
    shot("zh-predict")
    ui.expect_no_traceback(page)

    for name, texts in seen.items():
        assert len(texts) > 5, f"{name}: too little text collected to mean anything: {texts}"
    left = {name: english_leftovers(texts, allow) for name, texts in seen.items()}
    left = {name: found for name, found in left.items() if found}
    assert not left, "English UI text in Chinese:\n" + "\n".join(
        f"  [{name}] {text!r}" for name, found in left.items() for text in found)
