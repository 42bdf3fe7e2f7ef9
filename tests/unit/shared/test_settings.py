"""The settings table is the only place a limit is written: TrainConfig and the CLI follow it."""
from __future__ import annotations

import pytest

from tuneboard.cli.main import build_parser, main
from tuneboard.config import PRESETS, TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.settings import SETTINGS, cli_args, widget_args

RANGED = [s for s in SETTINGS.values() if s.low is not None]


def _beyond(s, side: str):
    """The first value past a limit: one whole step for integers, a little for floats."""
    if side == "low":
        return s.low - 1 if s.kind is int else s.low / 2 if s.low > 0 else -0.01
    return s.high if s.below_high else s.high + 1 if s.kind is int else s.high * 1.5


def _inside(s, side: str):
    return s.low if side == "low" else (s.high * 0.99 if s.below_high else s.high)


@pytest.mark.parametrize("setting", RANGED, ids=lambda s: s.name)
def test_train_config_accepts_each_limit_and_rejects_one_step_past_it(setting):
    for side in ("low", "high"):
        assert getattr(TrainConfig(data="x.csv", **{setting.name: _inside(setting, side)}), setting.name) == \
            _inside(setting, side)
        bad = _beyond(setting, side)
        with pytest.raises(ConfigError) as e:
            TrainConfig(data="x.csv", **{setting.name: bad})
        assert str(e.value).startswith(f"{setting.label} {bad!r} is out of range")
        assert "\n" not in str(e.value)


def test_messages_state_the_limits_of_the_table():
    with pytest.raises(ConfigError, match=r"Learning rate 0\.05 is out of range: use a number from 1e-6 to 0\.01"):
        TrainConfig(data="x.csv", learning_rate=0.05)
    with pytest.raises(ConfigError, match="use a whole number from 1 to 4096"):
        TrainConfig(data="x.csv", batch_size=4097)
    with pytest.raises(ConfigError, match="below 1"):
        TrainConfig(data="x.csv", warmup_ratio=1.0)


@pytest.mark.parametrize("value", [True, 3.0, "8", float("nan")])
def test_whole_number_settings_reject_other_types(value):
    with pytest.raises(ConfigError, match="Epochs"):
        TrainConfig(data="x.csv", epochs=value)


def test_presets_lie_inside_the_table():
    for name, values in PRESETS.items():
        TrainConfig(data="x.csv", preset=name, **values)  # raises if a preset broke a limit


@pytest.mark.parametrize("setting", [s for s in SETTINGS.values() if s.flag], ids=lambda s: s.name)
def test_cli_option_takes_flag_type_default_and_choices_from_the_table(setting):
    train = next(a for a in build_parser()._actions if a.dest == "command").choices["train"]
    action = next(a for a in train._actions if setting.flag in a.option_strings)
    assert action.default == setting.default
    assert action.type is (None if setting.kind is bool else setting.kind)  # bools: --lora / --no-lora
    assert (action.choices or []) == ([] if setting.or_steps else list(setting.choices))
    assert cli_args(setting.name)[0] == setting.flag


def _other_value(setting):
    """A valid value of ``setting`` that is not its default (what the CLI must carry into TrainConfig)."""
    if setting.or_steps:
        return "7", "7"
    if setting.choices:
        value = next(c for c in setting.choices if c != setting.default)
        return value, value
    if setting.kind is bool:
        return None, not setting.default
    value = setting.kind(setting.low if setting.default != setting.low else setting.high)
    return str(value), value


@pytest.mark.parametrize("setting", [s for s in SETTINGS.values() if s.flag], ids=lambda s: s.name)
def test_every_cli_flag_reaches_the_train_config(setting):
    from tuneboard.cli.train import config_from_args as _config_from_args

    text, expected = _other_value(setting)
    if setting.kind is bool:
        argv = [setting.flag if expected else "--no-" + setting.flag[2:]]
    else:
        argv = [setting.flag, text]
    args = build_parser().parse_args(["train", "x.csv", *argv])
    assert getattr(_config_from_args(args), setting.name) == expected


@pytest.mark.parametrize("flag, value, words", [
    ("--batch-size", "4097", "Batch size 4097 is out of range"),
    ("--learning-rate", "0.05", "Learning rate 0.05 is out of range"),
    ("--max-length", "8193", "Max length (tokens) 8193 is out of range"),
    ("--val-size", "0.6", "Validation size 0.6 is out of range"),
])
def test_cli_rejects_what_train_config_rejects_with_one_line_and_exit_2(flag, value, words, capsys):
    assert main(["train", "x.csv", flag, value]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_widget_arguments_carry_the_table_limits():
    for name in ("epochs", "learning_rate", "batch_size", "max_length", "seed"):
        args, s = widget_args(name), SETTINGS[name]
        assert (args["min_value"], args["max_value"], args["step"]) == (s.low, s.high, s.step)
        assert isinstance(args["max_value"], s.kind) and args["help"] == s.help


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_setting_has_its_label_and_help_in_the_catalog_of_each_language(lang):
    from tuneboard.i18n import catalog

    words = catalog(lang)
    missing = [key for name in SETTINGS for key in (f"setting.{name}.label", f"setting.{name}.help")
               if not words.get(key)]
    assert not missing
    groups = {s.group for s in SETTINGS.values() if s.group}
    assert all(words.get(f"setting.group.{g}") for g in groups)


def test_no_english_label_or_help_is_written_in_the_settings_table():
    from pathlib import Path

    from tuneboard import settings
    from tuneboard.i18n import catalog

    source, words = Path(settings.__file__).read_text(encoding="utf-8"), catalog("en")
    written = [name for name in SETTINGS for key in (f"setting.{name}.label", f"setting.{name}.help")
               if f'"{words[key]}"' in source or f'"{words[key][:30]}' in source]
    assert not written


def test_train_config_takes_every_default_from_its_row():
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    assert set(SETTINGS) <= set(fields)
    for name, s in SETTINGS.items():
        assert fields[name].default == s.default, name
    assert TrainConfig(data="x.csv").weight_decay == SETTINGS["weight_decay"].default


def test_the_search_space_comes_from_the_rows_in_its_draw_order():
    from tuneboard.search.study import search_space

    names = [p.name for p in search_space(TrainConfig(data="x.csv"))]
    assert names == ["learning_rate", "epochs", "batch_size", "max_length", "freeze_embeddings"]
    lora = search_space(TrainConfig(data="x.csv", lora=True))
    assert lora[-1].name == "lora_rank" and lora[-1].choices == (4, 8, 16)
    assert lora[0].kind == "log" and (lora[0].low, lora[0].high) == (1e-5, 5e-4)
