"""``TrainConfig``: the one contract between the UI, the CLI and the engine.

It is frozen, validates itself on creation, and is saved as ``config.json`` in every run folder.
Settings left as ``None`` are filled from the chosen preset, so the saved config always shows the
values a run really used.
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
__all__ = ["DEFAULT_PRESET", "DEVICES", "PRESETS", "TASKS", "TrainConfig"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs. Build it from the Train page, the CLI, or ``from_dict``."""

    data: str
    text_column: str | None = None
    text_pair_column: str | None = None
    label_column: str | None = None
    label_columns: tuple[str, ...] = ()  # several 0/1 columns = one multi-label target
    label_delimiter: str = "|"
    task: str = SETTINGS["task"].default
    model: str = "default"
    preset: str = SETTINGS["preset"].default
    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    max_length: int | None = None
    freeze_embeddings: bool | None = None
    warmup_ratio: float | None = None
    weight_decay: float = SETTINGS["weight_decay"].default
    eval_every: str | None = None  # "epoch" or a step count ("50"); from the preset
    early_stopping_patience: int | None = None  # evaluations without improvement before stopping; 0 = off
    early_stopping_min_delta: float = SETTINGS["early_stopping_min_delta"].default
    hidden_dropout: float = SETTINGS["hidden_dropout"].default
    attention_dropout: float = SETTINGS["attention_dropout"].default
    class_weighting: str = SETTINGS["class_weighting"].default
    lora: bool = SETTINGS["lora"].default
    lora_rank: int = SETTINGS["lora_rank"].default
    lora_alpha: int = SETTINGS["lora_alpha"].default
    lora_dropout: float = SETTINGS["lora_dropout"].default
    auto_batch_size: bool = SETTINGS["auto_batch_size"].default  # GPU: the largest that fits; small runs: >= 50 steps
    seed: int = SETTINGS["seed"].default
    val_size: float = SETTINGS["val_size"].default
    validation: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    device: str = SETTINGS["device"].default
    precision: str = SETTINGS["precision"].default  # auto: bf16 where the chip does it natively (device.amp_dtype)
    output_dir: str | None = None
    run_name: str | None = None
    mlflow: bool = SETTINGS["mlflow"].default  # also log to MLflow (tracking.py); TensorBoard is always written
    classes: tuple[ClassName, ...] = ()  # names (and descriptions) of label codes: the run trains on the names
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check("preset", self.preset)
        for key, value in PRESETS[self.preset].items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        object.__setattr__(self, "label_columns", tuple(self.label_columns or ()))
        object.__setattr__(self, "classes", check_classes(self.classes))
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


def _check(ok: bool, key: str) -> None:
    """Raise ``ConfigError`` with the catalog text ``key`` (engine.err.config.no_data, .no_model, .no_delimiter)."""
    if not ok:
        raise ConfigError(t(key))

