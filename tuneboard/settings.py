"""The settings table: every tunable field of ``TrainConfig`` as one row, written once.

A row holds the setting's type, default, limits, step, place on the Train form (``group`` and ``order``), search
range and CLI flag; its words live only in the catalogs, under keys made from its name: ``setting.<name>.label``,
``setting.<name>.help`` and ``setting.<name>.<choice>`` (tuneboard/locales/<language>/settings.json).
It drives what must agree (as H2O LLM Studio keeps ``_possible_values`` beside its config): ``TrainConfig``'s
fields and validation (tuneboard/config.py makes one field per row; ``check``), the Train page's inputs
(``widget_args``, drawn group by group), the CLI's ``train`` arguments (``cli_args``) and the search space
(tuneboard/search). A new setting is a row here, its two catalog entries, and the code that uses it.

Limits, and why:
- learning rate 1e-6..1e-2: fine-tuning a pretrained encoder diverges above 1e-2; below 1e-6 nothing moves.
- batch size 1..4096 and max length 8..8192: the widest any model we load can use (long-context encoders read
  8192 tokens; a GPU fits thousands of short rows); the memory check on the Train page says whether a value fits.
  The wider of the old limits was kept so no saved ``config.json`` becomes unreadable.
- seed 0..2**32-1: the range NumPy and scikit-learn accept as a random state.
- early-stopping patience 0..100 evaluations (0 = off); minimum improvement 0..0.5 of the metric.
- dropout 0..0.9: 1.0 would zero every activation. Weight decay 0..1 (AdamW's decoupled decay; 0.01 is usual).
- label smoothing 0..0.5: 0.1 is the usual value (Szegedy et al. 2016); past 0.5 the right class's target is no
  longer the largest one when there are two classes.
- precision: auto / fp32 / bf16 (device.amp_dtype; measured in; bench/RESULTS.md).
- LoRA rank 1..256 and alpha 1..1024: beyond rank 256 an adapter is no longer light; dropout 0..0.5.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Any, Callable

from tuneboard.errors import ConfigError
from tuneboard.i18n import t

# What each preset sets, and why. Measured on the bundled MiniLM (see bench/RESULTS.md).
# - fast: short inputs and a frozen word-embedding matrix (half of MiniLM's weights): the optimizer
#   step and the embedding gradient are the largest non-matmul costs on CPU, and freezing them cost
#   no accuracy on the demo (0.902 frozen vs 0.902 trained, 4 epochs). The classification head
#   starts from random, so a high learning rate (2e-4) pays: 0.910 vs 0.893 at 8e-5, same speed.
# - balanced (default): the same speed tricks with longer inputs and one more epoch; what most
#   teams should use.
# - best: everything trainable, longer inputs, more epochs at a gentler learning rate. Slower;
#   for the last points of accuracy.
# - early stopping (patience in evaluations after each epoch; 0 = off), measured on the demo by replaying a full
#   run's evaluations (bench/bench_early_stopping.py): `best` peaks at epoch 4 of 6 (macro-F1 0.915, then 0.898,
#   0.891), so patience 1 stops after epoch 5 keeping 0.915 with 17 % fewer steps. `balanced` improves every
#   epoch (0.862 .. 0.908): patience 2 never fires there and costs nothing (it evaluates each epoch anyway), but
#   guards a user who raises the epochs. `fast` (3 epochs) is off: with three evaluations there is little to save.
PRESETS: dict[str, dict[str, Any]] = {
    "fast": {"epochs": 3, "learning_rate": 2e-4, "batch_size": 32, "max_length": 64,
             "freeze_embeddings": True, "warmup_ratio": 0.06, "eval_every": "epoch", "early_stopping_patience": 0},
    "balanced": {"epochs": 4, "learning_rate": 2e-4, "batch_size": 32, "max_length": 128,
                 "freeze_embeddings": True, "warmup_ratio": 0.06, "eval_every": "epoch",
                 "early_stopping_patience": 2},
    "best": {"epochs": 6, "learning_rate": 1e-4, "batch_size": 16, "max_length": 256,
             "freeze_embeddings": False, "warmup_ratio": 0.1, "eval_every": "epoch", "early_stopping_patience": 1},
}
DEFAULT_PRESET = "balanced"


# The Train form's groups of advanced settings, top to bottom (header keys setting.group.<group>).
GROUPS = ("basics", "early_stopping", "imbalance_lora")


@dataclass(frozen=True)
class SearchRange:
    """Where a search tries a setting: ``log`` (log-uniform floats), ``int`` (whole numbers) or ``choice``.

    ``draw`` is the setting's place in each trial's draws: the seeded sampler hands out its random numbers in
    that order, so keeping it keeps a seeded search's trials. ``when``: searched only when that boolean
    setting is on in the base run (the LoRA rank of a LoRA run)."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    draw: int = 0
    when: str | None = None


@dataclass(frozen=True)
class Setting:
    """One field of ``TrainConfig``: what it holds, its range and how the UI, the CLI and a search use it.

    ``default`` None means "from the preset". ``below_high`` makes ``high`` an open bound (warm-up < 1).
    ``flag`` is the CLI option (None: not on the command line); ``fmt`` the UI's number format; ``group`` and
    ``order`` its place on the Train form (None: not on the form); ``search`` its range in a search.
    ``label`` and ``help`` come from the catalogs, in the current language.
    """

    name: str
    kind: type
    default: Any = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    below_high: bool = False
    example: Any = None
    flag: str | None = None
    fmt: str | None = None
    or_steps: bool = False  # a choice, or else a whole number of steps >= 1 (``eval_every``: "epoch" or 50)
    group: str | None = None
    order: int = 0
    search: SearchRange | None = None

    @property
    def label(self) -> str:
        """What the setting is called, in the current language."""
        return t(f"setting.{self.name}.label")

    @property
    def help(self) -> str:
        """One or two sentences on what the setting does, in the current language."""
        return t(f"setting.{self.name}.help")

    def choice_text(self, choice: Any) -> str:
        """A choice in words (``setting.<name>.<choice>``), or the choice itself when the catalog has none."""
        key = f"setting.{self.name}.{choice}"
        text = t(key)
        return str(choice) if text == key else text

    def problem(self, value: Any) -> str | None:
        """None when ``value`` is allowed, else the one-line message saying what to use instead."""
        if self.or_steps and value not in self.choices:
            if steps_of(value) is not None:
                return None
            return t("engine.err.setting.not_steps", label=self.label, value=repr(value), choice=self.choices[0])
        if self.choices:
            if value in self.choices:
                return None
            return t("engine.err.setting.unknown", label=self.label.lower(), value=value,
                     choices=", ".join(self.choices))
        if self.kind is bool:
            return None if isinstance(value, bool) else t("engine.err.setting.not_bool", label=self.label,
                                                          value=repr(value))
        return self._range_problem(value)

    def _range_problem(self, value: Any) -> str | None:
        whole = self.kind is int
        number = isinstance(value, int if whole else (int, float)) and not isinstance(value, bool)
        if number and not (isinstance(value, float) and math.isnan(value)):
            above = value >= self.high if self.below_high else value > self.high
            if self.low <= value and not above:
                return None
        what = t("engine.setting.whole_number") if whole else t("engine.setting.number")
        top = t("engine.setting.below" if self.below_high else "engine.setting.to", high=_num(self.high))
        example = t("engine.setting.example", value=_num(self.example)) if self.example is not None else ""
        return t("engine.err.setting.out_of_range", label=self.label, value=repr(value), what=what,
                 low=_num(self.low), top=top, example=example)


def steps_of(value: Any) -> int | None:
    """The step count of an ``or_steps`` value (50, "50"), or None when it is not a whole number >= 1."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and value >= 1 else None


def _num(x: Any) -> str:
    """1e-06 → 1e-6, 4096 → 4096, 0.5 → 0.5: limits read the way people write them."""
    if isinstance(x, float) and x and abs(x) < 1e-3:
        mantissa, exponent = f"{x:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{x:g}" if isinstance(x, float) else str(x)


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("task", str, default="auto", choices=("auto", "single_label", "multi_label", "regression"), flag="--task"),
    Setting("preset", str, default=DEFAULT_PRESET, choices=tuple(PRESETS), flag="--preset"),
    Setting("epochs", int, low=1, high=100, step=1, flag="--epochs", group="basics", order=1,
            search=SearchRange("int", 2, 6, draw=1)),
    Setting("learning_rate", float, low=1e-6, high=1e-2, step=1e-5, example=5e-5, flag="--learning-rate", fmt="%.0e",
            group="basics", order=2, search=SearchRange("log", 1e-5, 5e-4, draw=0)),
    Setting("batch_size", int, low=1, high=4096, step=8, flag="--batch-size", group="basics", order=3,
            search=SearchRange("choice", choices=(16, 32), draw=2)),
    Setting("max_length", int, low=8, high=8192, step=32, flag="--max-length", group="basics", order=4,
            search=SearchRange("choice", choices=(64, 128), draw=3)),
    Setting("freeze_embeddings", bool, group="basics", order=7,
            search=SearchRange("choice", choices=(True, False), draw=4)),
    Setting("auto_batch_size", bool, default=True, flag="--auto-batch-size", group="basics", order=8),
    Setting("warmup_ratio", float, low=0.0, high=1.0, below_high=True, example=0.06),
    Setting("seed", int, default=42, low=0, high=2**32 - 1, step=1, flag="--seed", group="basics", order=5),
    Setting("val_size", float, default=0.2, low=0.01, high=0.5, step=0.05, example=0.2, flag="--val-size"),
    Setting("device", str, default="auto", choices=("auto", "cpu", "cuda"), flag="--device"),
    Setting("precision", str, default="auto", choices=("auto", "fp32", "bf16"), flag="--precision",
            group="basics", order=6),
    Setting("mlflow", bool, default=False, flag="--mlflow", group="basics", order=9),
    # early stopping and regularisation
    Setting("eval_every", str, choices=("epoch",), or_steps=True, flag="--eval-every", group="early_stopping",
            order=1),
    Setting("early_stopping_patience", int, low=0, high=100, step=1, flag="--early-stopping-patience",
            group="early_stopping", order=2),
    Setting("early_stopping_min_delta", float, default=0.001, low=0.0, high=0.5, step=0.001, example=0.001,
            flag="--early-stopping-min-delta", fmt="%.3f", group="early_stopping", order=3),
    Setting("weight_decay", float, default=0.01, low=0.0, high=1.0, step=0.01, example=0.01, flag="--weight-decay",
            group="early_stopping", order=4),
    Setting("hidden_dropout", float, default=0.1, low=0.0, high=0.9, step=0.05, example=0.1, flag="--dropout",
            group="early_stopping", order=5),
    Setting("attention_dropout", float, default=0.1, low=0.0, high=0.9, step=0.05, example=0.1,
            flag="--attention-dropout", group="early_stopping", order=6),
    Setting("label_smoothing", float, default=0.0, low=0.0, high=0.5, step=0.05, example=0.1,
            flag="--label-smoothing", group="early_stopping", order=7),
    # imbalanced classes and LoRA
    Setting("class_weighting", str, default="auto", choices=("auto", "none", "weighted", "sampling"),
            flag="--class-weighting", group="imbalance_lora", order=1),
    Setting("lora", bool, default=False, flag="--lora", group="imbalance_lora", order=2),
    Setting("lora_rank", int, default=8, low=1, high=256, step=4, flag="--lora-rank", group="imbalance_lora",
            order=3, search=SearchRange("choice", choices=(4, 8, 16), draw=5, when="lora")),
    Setting("lora_alpha", int, default=16, low=1, high=1024, step=8, flag="--lora-alpha", group="imbalance_lora",
            order=4),
    Setting("lora_dropout", float, default=0.1, low=0.0, high=0.5, step=0.05, example=0.1, flag="--lora-dropout",
            group="imbalance_lora", order=5),
)}


def form_groups() -> list[tuple[str, list[Setting]]]:
    """The Train form's groups in ``GROUPS`` order, each with its settings in their ``order``."""
    return [(g, sorted((s for s in SETTINGS.values() if s.group == g), key=lambda s: s.order)) for g in GROUPS]


def check(name: str, value: Any) -> None:
    """Raise ``ConfigError`` when ``value`` is not allowed for setting ``name``."""
    message = SETTINGS[name].problem(value)
    if message:
        raise ConfigError(message)


def cli_args(name: str) -> tuple[str, dict[str, Any]]:
    """``(flag, add_argument kwargs)`` for setting ``name``: type, default, choices and help from the table."""
    s = SETTINGS[name]
    if s.flag is None:
        raise KeyError(f"setting {name} has no command-line flag")
    text = s.help[0].lower() + s.help[1:]
    if s.low is not None:
        top = f"below {_num(s.high)}" if s.below_high else f"to {_num(s.high)}"
        text += f" ({_num(s.low)} {top})"
    if s.default is not None:
        text += f" (default {s.default})"
    elif s.name in PRESETS[DEFAULT_PRESET]:
        text += " (default: from the preset)"
    # Plain types here: TrainConfig applies the same limits, so a bad value is one line and exit code 2.
    kwargs: dict[str, Any] = {"type": s.kind, "default": s.default, "help": text.replace("%", "%%")}
    if s.kind is bool:  # --lora / --no-lora: argparse's bool("False") would be True
        kwargs.pop("type")
        kwargs["action"] = argparse.BooleanOptionalAction
    if s.choices and not s.or_steps:
        kwargs["choices"] = list(s.choices)
    return s.flag, kwargs


def widget_args(name: str) -> dict[str, Any]:
    """Keyword arguments for the Train page's ``st.number_input`` / ``st.checkbox`` / ``st.selectbox`` /
    ``st.text_input`` (``or_steps``) of setting ``name``, its words in the current language."""
    s = SETTINGS[name]
    if s.kind is bool or s.or_steps:  # a checkbox; a text box for "epoch" or a step count
        return {"label": s.label, "help": s.help}
    if s.choices:
        words: Callable[[Any], str] = s.choice_text
        return {"label": s.label, "options": list(s.choices), "format_func": words, "help": s.help}
    args: dict[str, Any] = {"label": s.label, "min_value": s.kind(s.low), "max_value": s.kind(s.high),
                            "step": s.kind(s.step), "help": s.help}
    if s.fmt:
        args["format"] = s.fmt
    return args
