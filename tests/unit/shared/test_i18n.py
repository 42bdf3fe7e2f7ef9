"""Both catalogs are complete: every key in both languages with the same placeholders, no empty text,
and every key the code asks for exists."""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from tuneboard import i18n
from tuneboard.protocol import RunStatus

ROOT = Path(__file__).resolve().parents[3]
CODE = ("app.py", "app_pages", "components", "tuneboard")
SAY = r"""\b(?:t|said|english)\(\s*"""  # the calls that look a key up
# t("key") / said("key", ...) in the code: the keys it needs
USED = re.compile(SAY + r"""["']([A-Za-z0-9_.\-]+)["']""")
# f"status.{status}": a key built from a family (an f-string that starts like a catalog key, in a t() call or
# not); every family must be declared in _families below
BUILT = re.compile(r"""\bf(["'])([a-z][a-z0-9_]*\.[^"'{]*\{.*?)\1""")
# a key named as data ("engine.reason.cancelled" in a constant or a table of keys): any string that starts
# like a catalog key, except a file name
NAMED = re.compile(r"""["']([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_\-]+)+)["']""")
FILE_NAMES = {"json", "jsonl", "html", "csv", "tsv", "log", "txt", "parquet", "safetensors", "bin", "onnx", "zip",
              "py", "md", "yaml", "yml", "pt", "db", "sqlite", "lock", "png", "toml", "xlsx", "pkl"}


def _sources():
    for folder in CODE:
        for path in ([ROOT / folder] if folder.endswith(".py") else sorted((ROOT / folder).rglob("*.py"))):
            if path.name != "i18n.py":  # its docstrings show the call
                yield path, path.read_text(encoding="utf-8")


def _used_keys() -> set[str]:
    keys: set[str] = set()
    prefixes = {key.split(".")[0] for key in i18n.catalog("en")}
    parts = {key.rsplit(".", n)[0] for key in i18n.catalog("en") for n in range(1, key.count(".") + 1)}
    for _, text in _sources():
        keys |= set(USED.findall(text))
        keys |= {k for k in NAMED.findall(text)
                 if k.split(".")[0] in prefixes and k.rsplit(".", 1)[1] not in FILE_NAMES and k not in parts}
    return keys


def _families() -> dict[str, Iterable[Any]]:
    """Each key the code builds with an f-string, as a pattern (``{}`` where a value goes), and the values the
    code puts there. A built key that is not declared here, or a value whose key is missing, fails the test."""
    from components.evalviews import HEADLINES
    from components.labeling import MODES
    from components.live import BADGES
    from components.nav import PAGES
    from components.settingsview import OTHER, TASKS
    from components.trainform import FORM
    from tuneboard.config import PRESETS
    from tuneboard.data.health import PII_NAMES
    from tuneboard.data.model_choice import HUB_MODELS
    from tuneboard.data.readers.table import _MAGIC
    from tuneboard.evaluate.report_figures import NAMES
    from tuneboard.labeling import COLOURS
    from tuneboard.lifecycle.gate import RULES
    from tuneboard.protocol import RunStatus, TrialStatus
    from tuneboard.registry.book import ACTIONS as HISTORY_ACTIONS
    from tuneboard.registry.book import ALIASES as REGISTRY_ALIASES
    from tuneboard.registry.book import TRAFFIC
    from tuneboard.runs.card import SOURCE_KINDS
    from tuneboard.settings import GROUPS, SETTINGS, widget_args
    from tuneboard.team.access import ACTIONS
    from tuneboard.train.methods import TRAINERS as METHODS

    on_form = FORM  # the settings the Train form shows, with a select box for those with options
    choices = [(name, c) for name in on_form for c in widget_args(name).get("options", ())]
    reasons = ("baseline_better", "baseline_tie", "low_score", "low_r2", "weak_class", "good", "good_alone",
               "no_score")  # Decision.reason, and the two the report tells apart
    return {
        "train.preset.{}": PRESETS, "train.preset.{}.text": PRESETS,
        "setting.{}.label": SETTINGS, "setting.{}.help": SETTINGS, "setting.{}.{}": choices, "setting.group.{}": GROUPS,
        "eval.{}": ("precision", "recall"), "eval.metric_{}": {k for keys in HEADLINES.values() for k in keys},
        "eval.weighting_{}": ("weighted", "sampling", "none"),
        "settingsview.{}": OTHER, "data.task.{}": TASKS,
        "settingsview.choice.{}": ("auto", "cpu", "cuda", "epoch"),  # choices with no setting.<name>.<choice>
        "search.trial.{}": list(TrialStatus), "zhmodel.language.{}": HUB_MODELS,
        "live.badge.{}": BADGES, "status.{}": list(RunStatus), "nav.{}": PAGES,
        "report.reason_{}": reasons, "report.call_{}": ("ship", "not_yet", "use_baseline"),
        "report.explain_{}": [n for n in NAMES if n not in ("precision", "recall")],  # the headline metrics
        "report.risk_calibration_{}": ("over", "under"), "report.task_{}": TASKS, "report.metric_{}": NAMES,
        "engine.access.verb.{}": ACTIONS,
        "zhtext.tokens.hold_{}": ("cjk_chars", "words"), "engine.read.magic.{}": [what for _, what in _MAGIC],
        "engine.data.why.{}": ("empty_text", "empty_label", "label_not_a_number"),
        "engine.health.pii.{}": PII_NAMES.values(),
        "engine.notice.imbalance.{}": ("none", "weighted", "sampling"),  # class weighting as resolved
        "report.script_{}": ("latin", "cjk", "cyrillic", "arabic", "greek", "hebrew", "none", "other"),  # or as is
        "report.next_{}": ("ship", "not_yet", "use_baseline"),
        "report.next_{}_{}": (("not_yet", "low_score"), ("not_yet", "weak_class"), ("not_yet", "no_score")),  # or
        # report.next_<verdict> when a verdict has no sentence for its reason
        "receipts.ui.rule.{}": RULES, "receipts.card.source.{}": set(SOURCE_KINDS.values()),
        "receipts.card.task.{}": TASKS,
        "registry.alias.{}": REGISTRY_ALIASES, "registry.traffic.{}": TRAFFIC, "registry.action.{}": HISTORY_ACTIONS,
        "llm.status.{}": ("ok", "unparsed", "failed", "skipped"),  # LLMResult.status (labeling/llm.py)
        "label.mode.{}": MODES, "label.colour.{}": COLOURS, "fewshot.method.{}": METHODS,
        "engine.health.n.{}.{}": [(noun, n) for noun in ("row", "class", "exact_duplicate", "near_duplicate")
                                  for n in ("one", "other")],
    }


def _built_patterns() -> dict[str, str]:
    """Each f-string key in the code as a pattern (``{}`` for each value) and where it is built."""
    found, prefixes = {}, {key.split(".")[0] for key in i18n.catalog("en")}
    for path, text in _sources():
        for _, body in BUILT.findall(text):
            if body.split(".")[0] in prefixes:
                found.setdefault(re.sub(r"\{[^{}]*\}", "{}", body), str(path.relative_to(ROOT)))
    return found


def _missing_built_keys(families: dict[str, Iterable[Any]], built: dict[str, str]) -> list[str]:
    english = i18n.catalog("en")
    problems = [f"{pattern} (built in {where}) is not a declared family" for pattern, where in built.items()
                if pattern not in families]
    for pattern, values in families.items():
        for value in values:
            key = pattern.format(*(value if isinstance(value, tuple) else (value,)))
            if key not in english:
                problems.append(f"{key} (family {pattern})")
    return problems


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


def test_every_key_the_code_builds_comes_from_a_declared_family_whose_keys_all_exist():
    problems = _missing_built_keys(_families(), _built_patterns())
    assert not problems, "\n".join(problems)


def test_a_family_with_a_missing_key_or_an_undeclared_built_key_fails_the_check():
    families = {**_families(), "status.{}": [*RunStatus, "no_such_status"]}
    assert _missing_built_keys(families, _built_patterns()) == ["status.no_such_status (family status.{})"]
    undeclared = {k: v for k, v in _families().items() if k != "nav.{}"}
    assert _missing_built_keys(undeclared, _built_patterns()) == [
        "nav.{} (built in components/nav.py) is not a declared family"]


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
