"""A run's settings in words: each setting by its name on the Train form, each value the way the form says it
(presets, tasks and choices in the reader's language, yes/no, files by their name), for Runs and Compare."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from tuneboard.i18n import t
from tuneboard.settings import SETTINGS

# Settings a run records that are not on the form's settings list (the data and where the run went)
OTHER = ("data", "validation", "text_column", "text_pair_column", "label_column", "label_columns",
         "label_delimiter", "classes", "model", "encoding", "sheet", "run_name", "output_dir")
TASKS = ("single_label", "multi_label", "regression")


def label(name: str) -> str:
    """What setting ``name`` is called on screen."""
    return SETTINGS[name].label if name in SETTINGS else t(f"settingsview.{name}")


def value(name: str, raw: Any) -> str:
    """Setting ``name``'s value ``raw`` in words."""
    if raw is None or raw == "" or raw == []:
        return t("settingsview.auto") if name in ("text_column", "label_column", "encoding") else "—"
    if isinstance(raw, bool):
        return t("settingsview.yes") if raw else t("settingsview.no")
    if name == "preset":
        return t(f"train.preset.{raw}")
    if name == "task":
        return t(f"data.task.{raw}") if raw in TASKS else t("settingsview.auto")
    if name in ("data", "validation", "output_dir") or (name == "model" and Path(str(raw)).is_absolute()):
        return Path(str(raw)).name  # the server's paths say nothing to the room and overflow the table
    if name == "classes":  # code = name, in the code order
        return t("settingsview.list_sep").join(f"{c.get('code')} = {c.get('name')}" for c in raw)
    if isinstance(raw, list):
        return ", ".join(map(str, raw))
    if name in SETTINGS and SETTINGS[name].choices and raw in SETTINGS[name].choices:
        text = SETTINGS[name].choice_text(raw)
        return text if text != raw else t(f"settingsview.choice.{raw}")
    if name in SETTINGS and SETTINGS[name].fmt:
        return SETTINGS[name].fmt % raw
    return str(raw)


def table(config: dict[str, Any]) -> pd.DataFrame:
    """One row per setting the run recorded (the data first, then the form's order); extras are left out."""
    names = [n for n in (*OTHER, *SETTINGS) if n in config]
    return pd.DataFrame({t("settingsview.setting"): [label(n) for n in names],
                         t("settingsview.value"): [value(n, config[n]) for n in names]})
