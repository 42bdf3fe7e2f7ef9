"""Engine calls cached across reruns (and sessions), so a page rerun costs almost nothing.

Data is keyed by path plus content hash (an upload with the same name but new bytes is re-read);
loaded models are kept as resources, a few at a time. The caches' own spinners are off: their text
is fixed when the module loads, so each public call shows its own spinner in the page's language
(``st.spinner`` waits 0.5 s before showing, as the caches' spinner does).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from tuneboard.i18n import language, t
from tuneboard.paths import ModelFiles, RunFiles


def _stamp(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@st.cache_data(max_entries=8, show_spinner=False)
def _read(path: str, sha: str | None, mtime: float, lang: str) -> tuple[Any, Any]:
    # ``lang``: a key of the cache only; the table's notes are written in the language of the run that reads it
    from tuneboard.data import read_table

    return read_table(path)


def read(path: str, sha: str | None = None) -> tuple[Any, Any]:
    """``read_table`` result (frame, info); raises ``DataError``."""
    with st.spinner(t("cache.reading_table")):
        return _read(path, sha, _stamp(path), language())


@st.cache_data(max_entries=8, show_spinner=False)
def _detect(path: str, sha: str | None, mtime: float) -> tuple[str | None, str | None]:
    from tuneboard.data import detect_columns

    return detect_columns(_read(path, sha, _stamp(path), language())[0])


def detect(path: str, sha: str | None = None) -> tuple[str | None, str | None]:
    """The engine's guess of (text column, label column)."""
    return _detect(path, sha, _stamp(path))


@st.cache_data(max_entries=16, show_spinner=False)
def _prepare(config: dict[str, Any], stamps: tuple[float, ...], lang: str) -> Any:  # lang: as in _read
    from tuneboard.config import TrainConfig
    from tuneboard.data import prepare_data

    return prepare_data(TrainConfig.from_dict(config))


def prepare(config: Any) -> Any:
    """``prepare_data(config)`` (PreparedData); raises ``DataError``/``ConfigError``."""
    files = (config.data, config.validation or "")
    with st.spinner(t("cache.checking_data")):
        return _prepare(config.to_dict(), tuple(_stamp(f) for f in files if f), language())


@st.cache_data(max_entries=16, show_spinner=False)
def _findings(config: dict[str, Any], stamps: tuple[float, ...], lang: str) -> list[Any]:  # lang: as in _read
    from tuneboard.data import health_report

    prepared = _prepare(config, stamps, lang)
    return list(health_report(prepared).findings)


def findings(config: Any) -> list[Any]:
    """The data health report's ``Finding``s for ``config``'s data (each keeps its ``kind``)."""
    files = (config.data, config.validation or "")
    with st.spinner(t("cache.checking_health")):
        return _findings(config.to_dict(), tuple(_stamp(f) for f in files if f), language())


def model_card(source: str) -> Any:
    """``describe_model`` of the Train page's model box (cached)."""
    with st.spinner(t("cache.reading_model_card")):
        return _model_card(source)


@st.cache_data(max_entries=16, show_spinner=False)
def _model_card(source: str) -> Any:
    from tuneboard.model import describe_model

    return describe_model(source, allow_any_path=False)  # the box is a browser's text: models/ and hub ids only


def predictor(run_path: str, mtime: float) -> Any:
    """A loaded ``Predictor``; ``mtime`` of the model folder invalidates it when a run is retrained."""
    with st.spinner(t("cache.loading_model")):
        return _predictor(run_path, mtime)


@st.cache_resource(max_entries=2, show_spinner=False)
def _predictor(run_path: str, mtime: float) -> Any:
    from tuneboard.predict import Predictor

    predictor = Predictor.load(run_path)
    predictor.predict(["warm-up"])  # the first call pays one-off set-up; the latency shown should not
    return predictor


def model_stamp(run_path: str) -> float:
    """When the run's model last changed: its ``config.json`` (a fine-tuned model) or ``baseline.json`` (a TF-IDF
    run), which a new threshold or renamed classes rewrite; a predictor loaded before is stale after."""
    model = Path(run_path) / RunFiles.MODEL
    return max(_stamp(str(model / ModelFiles.CONFIG)), _stamp(str(model / ModelFiles.BASELINE)))


@st.cache_data(max_entries=8, show_spinner=False)
def predictions(path: str, mtime: float) -> Any:
    import pandas as pd

    return pd.read_parquet(path)
