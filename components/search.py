"""The Train page's hyperparameter search: a budget and Start, then the study's trials live, best marked."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.protocol import TrialStatus
from tuneboard.search import StudyRecord, list_studies, load_study
from tuneboard.team import access

from . import auth, lang, nav, state, trainform
from .tables import show_table
from .widgets import error_text, fmt_metric, short_id, show_error, status_word

STUDY_KEY = "train_study"  # the study shown on the Train page
BUDGETS = ("Trials", "Minutes")  # the radio's values; shown as search.trials / search.minutes


def status_text(status: TrialStatus | str) -> str:
    """A trial's status in the current language (keys search.trial.<status>, one per ``TrialStatus``)."""
    return t(f"search.trial.{status}")


@st.cache_resource(show_spinner=False)
def searches() -> dict[str, Any]:
    """study id -> ``SearchJob``, one per server process (like the run registry)."""
    return {}


def search_section() -> None:
    """An expander: search the settings for the chosen data, model and preset, by trial count or by minutes."""
    with st.expander(t("search.title"), icon=":material/tune:"):
        st.caption(t("search.caption"))
        by, amount = st.columns([2, 1])
        shown = {"Trials": t("search.trials"), "Minutes": t("search.minutes")}
        kind = by.radio(t("search.budget"), BUDGETS, horizontal=True, key="train_search_budget", format_func=shown.get)
        if kind == "Trials":
            amount.number_input(shown["Trials"], 1, 200, 6, key="train_search_trials")
        else:
            amount.number_input(shown["Minutes"], 1, 7 * 24 * 60, 30, key="train_search_minutes")
        st.button(t("search.start"), key="train_search_start", icon=":material/travel_explore:", on_click=_start)
        if st.session_state.get("_search_error"):
            st.error(st.session_state["_search_error"])
        studies = [s.study_id for s in list_studies()]
        if studies:
            current = st.session_state.get(STUDY_KEY)
            st.selectbox(t("search.study"), studies, index=studies.index(current) if current in studies else 0,
                         key="train_study_pick", on_change=_pick)
            study_view(st.session_state.get(STUDY_KEY) or studies[0])


def _start() -> None:
    """``on_click`` of Start search: reads the widgets now (a callback's bound arguments are a render old)."""
    from tuneboard.search import Budget, start_search

    s = st.session_state
    s.pop("_search_error", None)
    user = auth.current_user()
    model, preset = str(s.get(trainform.MODEL_SOURCE) or "default").strip(), s.get("preset")
    try:
        budget = (Budget(trials=int(s["train_search_trials"])) if s["train_search_budget"] == "Trials"
                  else Budget(minutes=float(s["train_search_minutes"])))
        base = state.dataset().to_config(model=model or "default", preset=preset)
        job = start_search(base, budget, state.registry(), user)  # each trial is the user's run, owned and counted
    except TuneboardError as e:
        st.session_state["_search_error"] = error_text(e)
        return
    searches()[job.study_id] = job
    st.session_state[STUDY_KEY] = st.session_state["train_study_pick"] = job.study_id


def _stop(job: Any) -> None:
    """``on_click`` of Stop search: the engine checks the study's owner against the person who pressed it."""
    try:
        job.stop(auth.current_user())
    except TuneboardError as e:
        st.session_state["_search_error"] = error_text(e)


def _pick() -> None:
    st.session_state[STUDY_KEY] = st.session_state["train_study_pick"]


def study_view(study_id: str) -> None:
    """The study's trials (status, score, settings), its best run marked; live while it runs."""
    job = searches().get(study_id)
    st.fragment(run_every=2.0 if job is not None and job.running else None)(lang.localized(_study_body))(study_id)


def _study_body(study_id: str) -> None:
    try:
        record = load_study(study_id)
    except TuneboardError as e:
        show_error(e)
        return
    job = searches().get(study_id)
    counts = ", ".join(f"{n} {status_text(status)}" for status, n in record.counts().items()) or t("search.no_trial")
    st.text(t("search.summary", study=record.study_id, status=status_word(record.status), counts=counts,
              metric=record.metric, best=fmt_metric(record.metric, record.best_value)))
    if record.reason:
        st.caption(record.reason)
    if record.trials:
        show_table(trials_table(record), hide_index=True)
    cols = st.columns(3)
    user = auth.current_user()
    if job is not None and job.running and access.can(user, "stop", record.owner):
        cols[0].button(t("search.stop"), key="train_search_stop", icon=":material/stop_circle:", on_click=_stop,
                       args=(job,))
    if record.best_run_id:
        cols[1].button(t("search.open_best"), key="train_search_best", on_click=state.select_run,
                       args=(record.best_run_id,))
    if len(record.run_ids()) >= 2 and cols[2].button(t("search.compare"), key="train_search_compare"):
        st.session_state["compare_pick"] = record.run_ids()
        nav.go(nav.COMPARE)


def trials_table(record: StudyRecord) -> pd.DataFrame:
    """One row per trial: number, status, score, its settings; the best run marked."""
    rows = []
    best_mark = f" · ★ {t('search.best')}"
    for trial in sorted(record.trials, key=lambda trial: trial.number):
        best = trial.run_id is not None and trial.run_id == record.best_run_id
        rows.append({t("search.col.trial"): trial.number,
                     t("runs.col.status"): status_text(trial.status) + (best_mark if best else ""),
                     record.metric: fmt_metric(record.metric, trial.value),
                     t("search.col.evaluations"): trial.evaluations,
                     **{k: str(v) for k, v in trial.params.items()}, t("runs.col.run"): short_id(trial.run_id or "—")})
    return pd.DataFrame(rows)
