"""The Train form draws its inputs from the settings table, and its public API is what other pages use."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import nav
from tuneboard.config import PRESETS
from tuneboard.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def train_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(nav.PAGES[nav.TRAIN].file).run()
    assert not at.exception, at.exception
    return at


def test_train_form_inputs_use_the_limits_and_help_of_the_settings_table():
    at = train_page()
    for name in ("epochs", "learning_rate", "batch_size", "max_length", "seed"):
        box, s = at.number_input(key=f"train_{name}"), SETTINGS[name]
        assert (box.min, box.max, box.step) == (s.low, s.high, s.step), name
        assert box.label == s.label and box.help == s.help
    assert at.checkbox(key="train_freeze_embeddings").label == SETTINGS["freeze_embeddings"].label


def test_choosing_a_preset_fills_the_advanced_inputs_with_its_values():
    at = train_page()
    at.radio(key="preset").set_value("best").run()
    for name in ("epochs", "learning_rate", "batch_size", "max_length"):
        assert at.number_input(key=f"train_{name}").value == PRESETS["best"][name]
    assert at.checkbox(key="train_freeze_embeddings").value is PRESETS["best"]["freeze_embeddings"]


def test_the_advanced_settings_show_every_group_with_each_of_its_settings():
    from tuneboard.i18n import t
    from tuneboard.settings import GROUPS, form_groups

    at = train_page()
    shown = {m.value for m in at.markdown}
    assert {f"**{t(f'setting.group.{g}')}**" for g in GROUPS} <= shown
    keys = {w.key for kind in ("number_input", "checkbox", "selectbox", "text_input") for w in getattr(at, kind)}
    on_form = [s.name for _, settings in form_groups() for s in settings]
    assert len(on_form) == len({s.name for s in SETTINGS.values() if s.group}) >= 20
    assert {f"train_{name}" for name in on_form} <= keys
