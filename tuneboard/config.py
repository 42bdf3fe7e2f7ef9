"""``TrainConfig``: the one contract between the UI, the CLI and the engine.

It is frozen, validates itself on creation, and is saved as ``config.json`` in every run folder.
Its tunable fields are made from the settings table (tuneboard/settings.py): one field per row, with the row's
type and default, so a default is written once. Settings left as ``None`` are filled from the chosen preset,
so the saved config always shows the values a run really used.

Which trainer trains the run is ``trainer`` (one of ``TRAINERS``); a trainer's own recipe is a typed section
(``distill``); a search trial names its study in ``search``. ``extra`` is free for what no code decides on.
Run folders written before these sections kept them in ``extra`` (``{"teacher_run": id, "distill": {...}}``,
``{"study": id, "trial": n}``): ``from_dict`` moves them into the sections, so old runs open and train alike.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneboard.classnames import ClassName, check_classes
from tuneboard.errors import ConfigError
from tuneboard.i18n import t
from tuneboard.protocol import BASELINE_MODEL
from tuneboard.settings import DEFAULT_PRESET, PRESETS, SETTINGS, check

# Presets and every setting's limits live in the settings table; re-exported here for the callers of the config.
TASKS = SETTINGS["task"].choices
DEVICES = SETTINGS["device"].choices
# The kinds of trainer a run can have. A new kind: its name here, its class in tuneboard/train/pipeline.py
# (``TRAINER_CLASSES``; a test keeps the two equal) and, when it has a recipe, a typed section below. ``auto`` has no
# class: the run's labels decide between ``fewshot`` and ``finetune`` (train/fewshot.trainer_kind).
TRAINERS = ("finetune", "distill", "fewshot", "auto")
__all__ = ["DEFAULT_PRESET", "DEVICES", "PRESETS", "TASKS", "TRAINERS", "DistillSpec", "SearchSpec", "TrainConfig"]


@dataclass(frozen=True)
class DistillSpec:
    """A student's recipe (tuneboard/train/distillation.py): its teacher run, and how it learns from it.

    ``layers`` of the teacher (or a ``student`` model folder), the ``temperature``, the share ``alpha`` of the
    soft-label loss, the ``epochs`` asked for and an optional file of ``unlabeled`` rows."""

    teacher_run: str
    teacher_path: str = ""
    teacher_layers: int | None = None
    layers: int | None = None
    student: str | None = None
    temperature: float = 2.0
    alpha: float = 0.5
    epochs: int | None = None
    unlabeled: str | None = None

    @classmethod
    def of(cls, value: DistillSpec | dict[str, Any] | None) -> DistillSpec | None:
        """The section from its saved dict (keys a later version added are left out)."""
        if value is None or isinstance(value, DistillSpec):
            return value
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in dict(value).items() if k in known})


@dataclass(frozen=True)
class SearchSpec:
    """The search a trial run belongs to (tuneboard/search): its study and its trial number."""

    study: str
    trial: int

    @classmethod
    def of(cls, value: SearchSpec | dict[str, Any] | None) -> SearchSpec | None:
        if value is None or isinstance(value, SearchSpec):
            return value
        return cls(study=str(value["study"]), trial=int(value["trial"]))


def _with_settings(cls: type) -> type:
    """``cls`` as a frozen dataclass with one more field per row of the settings table, typed and defaulted by
    the row (``None``: from the preset), after the fields written in the class."""
    own = dict(cls.__dict__.get("__annotations__", {}))
    for name, s in SETTINGS.items():
        own[name] = s.kind.__name__ + (" | None" if s.default is None else "")
        setattr(cls, name, s.default)
    cls.__annotations__ = own
    return dataclass(frozen=True)(cls)


@_with_settings
class TrainConfig:
    """Everything a run needs. Build it from the Train page, the CLI, or ``from_dict``.

    Besides the fields below, every setting of tuneboard/settings.py is a field (``epochs``, ``learning_rate``...).
    """

    data: str
    text_column: str | None = None
    text_pair_column: str | None = None
    label_column: str | None = None
    label_columns: tuple[str, ...] = ()  # several 0/1 columns = one multi-label target
    label_delimiter: str = "|"
    model: str = "default"
    validation: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    output_dir: str | None = None
    run_name: str | None = None
    classes: tuple[ClassName, ...] = ()  # names (and descriptions) of label codes: the run trains on the names
    trainer: str = "finetune"  # which trainer trains the run (TRAINERS)
    distill: DistillSpec | None = None  # a student's recipe (trainer "distill")
    search: SearchSpec | None = None  # the study of a search trial
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check("preset", self.preset)
        for key, value in PRESETS[self.preset].items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        object.__setattr__(self, "label_columns", tuple(self.label_columns or ()))
        object.__setattr__(self, "classes", check_classes(self.classes))
        for name, value in _legacy_sections(self).items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "distill", DistillSpec.of(self.distill))
        object.__setattr__(self, "search", SearchSpec.of(self.search))
        if self.trainer not in TRAINERS:
            raise ConfigError(t("engine.err.config.trainer", trainer=self.trainer, kinds=", ".join(TRAINERS)))
        _check(self.trainer != "distill" or self.distill is not None, "engine.err.config.no_recipe")
        _check(bool(str(self.data).strip()), "engine.err.config.no_data")
        _check(bool(str(self.model).strip()), "engine.err.config.no_model")
        for name in SETTINGS:  # limits and messages come from the settings table (tuneboard/settings.py)
            check(name, getattr(self, name))
        object.__setattr__(self, "eval_every", str(self.eval_every).strip())  # 50 and "50" are one setting
        _check(bool(self.label_delimiter), "engine.err.config.no_delimiter")
        if self.text_column and self.text_column == self.label_column:
            raise ConfigError(t("engine.err.config.same_column", col=self.text_column))
        if self.text_pair_column and self.text_pair_column == self.text_column:
            raise ConfigError(t("engine.err.config.same_pair"))

    @property
    def model_label(self) -> str:
        """A short human name of the model source."""
        names = {"default": "bundled MiniLM", BASELINE_MODEL: BASELINE_MODEL}
        return names.get(self.model) or Path(str(self.model)).name or str(self.model)

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["label_columns"] = list(self.label_columns)
        data["classes"] = [c.to_dict() for c in self.classes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], strict: bool = True) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown and strict:
            raise ConfigError(t("engine.err.config.unknown_settings", unknown=", ".join(unknown),
                                known=", ".join(sorted(known))))
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: str | Path) -> None:
        from tuneboard.files import write_json_atomic

        write_json_atomic(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")), strict=False)


def _legacy_sections(cfg: TrainConfig) -> dict[str, Any]:
    """Field changes that move what older versions kept in ``extra`` into its sections (a saved ``config.json``, or a
    caller still passing ``extra``): a distillation's ``teacher_run`` and recipe (its trainer was chosen by the recipe
    being there) and a search trial's ``study`` and ``trial``. Empty when there is nothing to move."""
    extra = dict(cfg.extra or {})
    changes: dict[str, Any] = {}
    if cfg.distill is None and ("teacher_run" in extra or "distill" in extra):
        recipe, teacher = extra.pop("distill", None), extra.pop("teacher_run", None)
        changes["distill"] = {**(recipe or {}), "teacher_run": teacher}
        if recipe and cfg.trainer == "finetune":
            changes["trainer"] = "distill"
    if "trainer" in extra:  # how the few-shot recipe was first asked for
        kind = extra.pop("trainer")
        changes["trainer"] = cfg.trainer if cfg.trainer != "finetune" else kind
    if cfg.search is None and "study" in extra and "trial" in extra:
        changes["search"] = {"study": extra.pop("study"), "trial": extra.pop("trial")}
    return {**changes, "extra": extra} if changes else {}


def _check(ok: bool, key: str) -> None:
    """Raise ``ConfigError`` with the catalog text ``key`` (engine.err.config.no_data, .no_model, .no_delimiter)."""
    if not ok:
        raise ConfigError(t(key))

