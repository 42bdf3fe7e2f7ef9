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

from .errors import ConfigError

TASKS = ("auto", "single_label", "multi_label", "regression")
DEVICES = ("auto", "cpu", "cuda")

# What each preset sets, and why. Measured on the bundled MiniLM (see bench/RESULTS.md).
# - fast: short inputs and a frozen word-embedding matrix (half of MiniLM's weights): the optimizer
#   step and the embedding gradient are the largest non-matmul costs on CPU, and freezing them cost
#   no accuracy on the demo (0.902 frozen vs 0.902 trained, 4 epochs). The classification head
#   starts from random, so a high learning rate (2e-4) pays: 0.910 vs 0.893 at 8e-5, same speed.
# - balanced (default): the same speed tricks with longer inputs and one more epoch; what most
#   teams should use.
# - best: everything trainable, longer inputs, more epochs at a gentler learning rate. Slower;
#   for the last points of accuracy.
PRESETS: dict[str, dict[str, Any]] = {
    "fast": {"epochs": 3, "learning_rate": 2e-4, "batch_size": 32, "max_length": 64,
             "freeze_embeddings": True, "warmup_ratio": 0.06},
    "balanced": {"epochs": 4, "learning_rate": 2e-4, "batch_size": 32, "max_length": 128,
                 "freeze_embeddings": True, "warmup_ratio": 0.06},
    "best": {"epochs": 6, "learning_rate": 1e-4, "batch_size": 16, "max_length": 256,
             "freeze_embeddings": False, "warmup_ratio": 0.1},
}
DEFAULT_PRESET = "balanced"


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs. Build it from the Train page, the CLI, or ``from_dict``."""

    data: str
    text_column: str | None = None
    text_pair_column: str | None = None
    label_column: str | None = None
    label_columns: tuple[str, ...] = ()  # several 0/1 columns = one multi-label target
    label_delimiter: str = "|"
    task: str = "auto"
    model: str = "default"
    preset: str = DEFAULT_PRESET
    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int | None = None
    max_length: int | None = None
    freeze_embeddings: bool | None = None
    warmup_ratio: float | None = None
    weight_decay: float = 0.01
    auto_batch_size: bool = True  # on a GPU, probe the largest batch that fits (see memory.py)
    seed: int = 42
    val_size: float = 0.2
    validation: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    device: str = "auto"
    output_dir: str | None = None
    run_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError(f"Unknown preset '{self.preset}'. Choose one of: {', '.join(PRESETS)}.")
        for key, value in PRESETS[self.preset].items():
            if getattr(self, key) is None:
                object.__setattr__(self, key, value)
        object.__setattr__(self, "label_columns", tuple(self.label_columns or ()))
        _check(bool(str(self.data).strip()), "No data file given. Pass the path of a CSV, TSV, Excel, JSONL or Parquet file.")
        _check(self.task in TASKS, f"Unknown task '{self.task}'. Choose one of: {', '.join(TASKS)}.")
        _check(self.device in DEVICES, f"Unknown device '{self.device}'. Choose auto, cpu or cuda.")
        _check(bool(str(self.model).strip()), "No model given. Use 'default', a local folder, or a Hugging Face hub id.")
        _check_int("epochs", self.epochs, 1, 100)
        _check_int("batch_size", self.batch_size, 1, 4096)
        _check_int("max_length", self.max_length, 8, 8192)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        _check(isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate <= 0.1,
               f"Learning rate {self.learning_rate!r} is out of range. Use a value between 1e-6 and 1e-2, e.g. 5e-5.")
        _check(isinstance(self.warmup_ratio, (int, float)) and 0 <= self.warmup_ratio < 1,
               f"Warm-up ratio {self.warmup_ratio!r} must be between 0 and 1 (e.g. 0.06).")
        _check(isinstance(self.val_size, (int, float)) and 0.01 <= self.val_size <= 0.5,
               f"Validation size {self.val_size!r} must be a fraction between 0.01 and 0.5 (e.g. 0.2).")
        _check(bool(self.label_delimiter), "The multi-label delimiter cannot be empty; the usual one is '|'.")
        if self.text_column and self.text_column == self.label_column:
            raise ConfigError(f"The text column and the label column are both '{self.text_column}'. "
                              "Pick the column with the sentences as text and the one with the classes as label.")
        if self.text_pair_column and self.text_pair_column == self.text_column:
            raise ConfigError("The second text column must differ from the first one.")

    @property
    def model_label(self) -> str:
        """A short human name of the model source."""
        names = {"default": "bundled MiniLM", "tfidf": "tfidf"}
        return names.get(self.model) or Path(str(self.model)).name or str(self.model)

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["label_columns"] = list(self.label_columns)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], strict: bool = True) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown and strict:
            raise ConfigError(f"Unknown setting(s) {', '.join(unknown)}. Known settings: {', '.join(sorted(known))}.")
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: str | Path) -> None:
        from .files import write_json_atomic

        write_json_atomic(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")), strict=False)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    _check(ok, f"{name.replace('_', ' ').capitalize()} {value!r} is invalid: use a whole number from {low} to {high}.")
