"""Both catalogs are complete: every key in both languages with the same placeholders, no empty text,
and every key the code asks for exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tuneboard import i18n

ROOT = Path(__file__).resolve().parents[2]
# t("key") / t("key", ...) in the code: the keys it needs (dynamic keys are listed in their module's catalog part)
USED = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+)["']""")


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for folder in ("app.py", "app_pages", "components", "tuneboard"):
        for path in ([ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))):
            if path.name != "i18n.py":  # its docstrings show the call
                keys |= set(USED.findall(path.read_text(encoding="utf-8")))
    return keys


def test_every_key_exists_in_every_language_with_the_same_placeholders():
    english = i18n.catalog("en")
    for lang in i18n.LANGUAGES:
        other = i18n.catalog(lang)
        assert set(other) == set(english), f"{lang}: missing {sorted(set(english) - set(other))[:10]}, " \
                                           f"extra {sorted(set(other) - set(english))[:10]}"
        for key, text in other.items():
            assert text.strip(), f"{lang}: empty text for {key}"
            assert i18n.placeholders(text) == i18n.placeholders(english[key]), f"{lang}: placeholders of {key}"


def test_every_key_the_code_asks_for_is_in_the_catalog():
    missing = sorted(_used_keys() - set(i18n.catalog("en")))
    assert not missing, f"keys used in code but in no catalog: {missing[:20]}"


@pytest.mark.parametrize("tag, expected", [("zh-CN", "zh"), ("zh", "zh"), ("en-US", "en"), ("fr-FR", "en"),
                                           (None, "en"), ("ZH_tw", "zh")])
def test_the_browser_language_picks_a_supported_one(tag, expected):
    assert i18n.pick_language(tag) == expected


def test_t_falls_back_to_english_then_to_the_key_and_fills_placeholders(monkeypatch):
    monkeypatch.setattr(i18n, "catalog", lambda lang: {"en": {"a": "Hello {name}", "b": "B"},
                                                       "zh": {"a": "你好 {name}"}}[lang])
    i18n.set_language("zh")
    try:
        assert i18n.t("a", name="X") == "你好 X"
        assert i18n.t("b") == "B"
        assert i18n.t("nope") == "nope"
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_bold_in_the_catalogs_is_drawn_bold(lang):
    """CommonMark (Streamlit's markdown) draws no bold whose closing ``**`` follows a punctuation mark and comes
    before a letter — ``**任务：**每条`` shows its asterisks. Each text, rendered, keeps no ``**``."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    drawn_wrong = []
    for key, text in i18n.catalog(lang).items():
        filled = re.sub(r"\{[^{}]*\}", "X", text)
        if "**" in filled and "**" in re.sub(r"<code>.*?</code>", "", md.render(filled)):
            drawn_wrong.append(f"{key}: {text}")
    assert not drawn_wrong, "\n".join(drawn_wrong)


_CJK_THEN_LATIN_STOP = re.compile(r"[\u4e00-\u9fff\uff09\u3011][.,;:!?](?=\s|$|[\u4e00-\u9fff])")


def test_chinese_texts_use_chinese_punctuation_between_chinese_words():
    wrong = [f"{key}: {text}" for key, text in i18n.catalog("zh").items()
             if _CJK_THEN_LATIN_STOP.search(re.sub(r"`[^`]*`", "", text))]
    assert not wrong, "\n".join(wrong)
