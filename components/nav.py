"""The app's pages, named once: app.py's navigation, every link and every switch use these.

The screens live in ``app_pages/``, not ``pages/``: Streamlit treats a ``pages/`` folder beside the main
script as an old-style multipage app until ``st.navigation`` has run once in the process, so the first
request after a server start to a deep link (``/evaluate?run=...``) would run that page alone, without
app.py's navigation, layout and sidebar (streamlit/runtime/pages_manager.py, ``uses_pages_directory``).
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from tuneboard.i18n import t

HOME, DATA, TRAIN, RUNS, COMPARE, EVALUATE, PREDICT = "home", "data", "train", "runs", "compare", "evaluate", "predict"
DEPLOY, MONITOR, DISTILL = "deploy", "monitor", "distill"
STEPS = (DATA, "label", TRAIN, RUNS, EVALUATE, PREDICT)  # the journey from a table to a model, numbered on those pages


@dataclass(frozen=True)
class Screen:
    """One page: its script (relative to app.py; its name is the URL path), English title and icon
    (the title shown is ``title_of(name)``, in the page's language)."""

    file: str
    title: str
    icon: str


PAGES = {
    HOME: Screen("app_pages/home.py", "Home", ":material/home:"),
    DATA: Screen("app_pages/data.py", "Data", ":material/table_chart:"),
    "label": Screen("app_pages/label.py", "Label", ":material/label:"),  # raw texts to labels (tuneboard.labeling)
    TRAIN: Screen("app_pages/train.py", "Train", ":material/rocket_launch:"),
    RUNS: Screen("app_pages/runs.py", "Runs", ":material/history:"),
    COMPARE: Screen("app_pages/compare.py", "Compare", ":material/compare_arrows:"),
    EVALUATE: Screen("app_pages/evaluate.py", "Evaluate", ":material/fact_check:"),
    PREDICT: Screen("app_pages/predict.py", "Predict", ":material/bolt:"),
    DISTILL: Screen("app_pages/distill.py", "Make it smaller", ":material/compress:"),
    DEPLOY: Screen("app_pages/deploy.py", "Deploy", ":material/cloud_upload:"),
    MONITOR: Screen("app_pages/monitor.py", "Monitor", ":material/monitoring:"),
    "models": Screen("app_pages/models.py", "Models", ":material/label:"),  # named models: versions, aliases
}


def page(name: str) -> st.Page:
    """The ``st.Page`` of page ``name`` (for ``st.navigation``, ``st.page_link`` and ``st.switch_page``).
    Built per call: an ``st.Page`` can only be made while a script runs."""
    screen = PAGES[name]
    return st.Page(screen.file, title=title_of(name), icon=screen.icon, default=name == HOME)


def title_of(name: str) -> str:
    """Page ``name``'s title in the current language (keys nav.home … nav.monitor: one per PAGES row)."""
    return t(f"nav.{name}")


def caption(name: str, text: str) -> None:
    """The line under page ``name``'s title; a step of the journey says which (one wording for every page)."""
    if name in STEPS:
        text = t("nav.step_caption", step=t("nav.step", n=STEPS.index(name) + 1, total=len(STEPS)), text=text)
    st.caption(text)


def navigation() -> st.Page:
    """Register every page with ``st.navigation`` and return the one the URL asks for."""
    return st.navigation([page(name) for name in PAGES])


def go(name: str) -> None:
    """Switch to page ``name`` now (ends the current script run)."""
    st.switch_page(page(name))
