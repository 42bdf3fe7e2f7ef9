"""LLM pre-labels in the app: the settings form, the data-leaves-the-machine warning, a run with its progress,
its agreement with the person's labels before "Use these labels", and the LLM baseline on Evaluate.

The engine does the work and the checks (``tuneboard.labeling``: who may, the budget, the key); this module only
draws. A person's strings (texts, class names, the model's name, the host, raw answers) are shown escaped or in
tables, never as markdown.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from tuneboard.classnames import ClassName
from tuneboard.errors import PermissionDenied, TuneboardError
from tuneboard.i18n import t
from tuneboard.labeling import (
    LLMSettings,
    agreement,
    apply_llm_labels,
    llm_defaults,
    measure_llm_baseline,
    pick_examples,
    read_llm_baseline,
    require_llm,
    start_llm_labels,
)

from . import auth, lang
from .tables import show_table
from .widgets import fmt_count, fmt_metric, headline, plain, show_error

DEFAULT_URL = "http://localhost:11434/v1"  # Ollama's OpenAI-compatible address: a local server, nothing leaves
POLL_S = 1.0


@st.cache_resource(show_spinner=False)
def jobs() -> dict[tuple[str, str], Any]:
    """(person, table) -> their running or finished ``LLMJob``, one per server process: a refresh or a second
    tab finds the answers already paid for."""
    return {}


# -- the panel -------------------------------------------------------------------------------------
def llm_panel(table_sha: str, texts: Sequence[str], classes: Sequence[ClassName], user: Any, *,
              labels: Mapping[int, str] | None = None, store: Any = None, text_column: str = "") -> None:
    """LLM pre-labels for one table: ``texts`` by row, the label set, the person's ``labels`` (row -> code)
    and the label ``store`` that "Use these labels" records into (``record_many``)."""
    labels = dict(labels or {})
    with st.expander(t("llm.title"), icon=":material/smart_toy:"):
        st.caption(t("llm.intro"))
        if not _may(user):
            return
        where = (user.id, table_sha)
        job = jobs().get(where)
        if not st.toggle(t("llm.enable"), value=job is not None, key="llm_enabled", help=t("llm.enable_help")):
            return
        settings = settings_form("llm", min(100, len(texts)), job.settings if job is not None else None)
        if settings is None:
            return
        examples = len(pick_examples(labels, texts, classes, settings.examples_per_class))
        leaves(settings, min(settings.max_rows, len(texts)), text_column, examples)
        if st.button(t("llm.run"), key="llm_run", type="primary", icon=":material/play_arrow:"):
            try:
                job = jobs()[where] = start_llm_labels(settings, list(classes), list(texts), labels, user,
                                                       secrets=auth.settings())
            except TuneboardError as e:
                show_error(e)
        if job is not None:
            running = not job.finished.is_set()
            st.fragment(run_every=POLL_S if running else None)(lang.localized(_job_view))(
                where, texts, classes, labels, store, user, running)


def _may(user: Any) -> bool:
    try:
        require_llm(user, auth.settings())
    except PermissionDenied:
        st.info(t("llm.admin_only"), icon=":material/lock:")
        return False
    return True


def settings_form(prefix: str, rows: int, last: LLMSettings | None = None) -> LLMSettings | None:
    """The endpoint, the model and the budget (first the ``last`` run's, else defaults from the ``[llm]``
    secrets, never the key); ``None`` with the reason shown when they do not make valid settings."""
    saved = llm_defaults(auth.settings())
    was = (lambda name, default: getattr(last, name)) if last is not None else (lambda name, default: default)
    left, right = st.columns(2)
    url = left.text_input(t("llm.base_url"), value=was("base_url", saved["base_url"] or DEFAULT_URL),
                          key=f"{prefix}_base_url")
    model = right.text_input(t("llm.model"), value=was("model", saved["model"]), key=f"{prefix}_model")
    cols = st.columns(4)
    max_rows = cols[0].number_input(t("llm.max_rows"), 1, 100_000, was("max_rows", max(1, rows)),
                                    key=f"{prefix}_max_rows")
    max_tokens = cols[1].number_input(t("llm.max_tokens"), 100, 10**9, was("max_tokens", 100_000), step=1000,
                                      key=f"{prefix}_max_tokens", help=t("llm.max_tokens_help"))
    rpm = cols[2].number_input(t("llm.rpm"), 1, 10_000, int(was("requests_per_minute", 60)), key=f"{prefix}_rpm")
    threads = cols[3].number_input(t("llm.threads"), 1, 4, was("threads", 1), key=f"{prefix}_threads")
    cols = st.columns(3)
    timeout = cols[0].number_input(t("llm.timeout"), 1, 600, int(was("timeout_s", 30)), key=f"{prefix}_timeout")
    price_in = cols[1].number_input(t("llm.price_in"), 0.0, 1000.0, float(was("price_in", 0.0)), format="%.3f",
                                    key=f"{prefix}_price_in", help=t("llm.price_help"))
    price_out = cols[2].number_input(t("llm.price_out"), 0.0, 1000.0, float(was("price_out", 0.0)), format="%.3f",
                                     key=f"{prefix}_price_out", help=t("llm.price_help"))
    st.caption(t("llm.key_set") if saved["has_key"] else t("llm.key_missing"))
    try:
        return LLMSettings(url, model, max_rows=int(max_rows), max_tokens=int(max_tokens),
                           requests_per_minute=float(rpm), threads=int(threads), timeout_s=float(timeout),
                           price_in=float(price_in), price_out=float(price_out))
    except TuneboardError as e:
        show_error(e)
        return None


def leaves(settings: LLMSettings, rows: int, column: str, examples: int) -> None:
    """Which data leaves the machine, to which host: said before anything is sent."""
    st.warning(t("llm.leaves", rows=f"{rows:,}", column=plain(column or "text"), examples=examples,
                 host=plain(settings.host)), icon=":material/cloud_upload:")


def _job_view(where: tuple[str, str], texts: Sequence[str], classes: Sequence[ClassName], labels: dict[int, str],
              store: Any, user: Any, was_running: bool) -> None:
    job = jobs().get(where)
    if job is None:
        return
    if not job.finished.is_set():
        st.progress(job.done / max(job.total, 1), text=t("llm.progress", done=job.done, total=job.total))
        if st.button(t("llm.stop"), key="llm_stop", icon=":material/stop:"):
            job.stop()
        return
    if was_running:
        st.rerun(scope="app")  # the fragment stops polling; the page draws the results once
    if job.error:
        st.error(job.error)
        return
    _summary(job.summary)
    _agreement(agreement(job.results, labels))
    names = {c.code: c.name for c in classes}
    show_table(pd.DataFrame({
        t("llm.col.row"): [r.row for r in job.results],
        t("llm.col.text"): [str(texts[r.row])[:160] for r in job.results],
        t("llm.col.label"): [names.get(r.label, r.label) if r.label is not None else "" for r in job.results],
        t("llm.col.status"): [t(f"llm.status.{r.status}") for r in job.results],
        t("llm.col.raw"): [r.raw for r in job.results],
    }), hide_index=True, height=240, key="llm_results")
    if st.button(t("llm.use"), key="llm_use", type="primary", icon=":material/done_all:", help=t("llm.use_help")):
        try:
            n = apply_llm_labels(store, job.results, user,
                                 model=job.settings.model, keep=set(labels), secrets=auth.settings())
        except TuneboardError as e:
            show_error(e)
            return
        if n:
            st.success(t("llm.applied", n=n, model=plain(job.settings.model)), icon=":material/check:")
        else:
            st.info(t("llm.none_to_apply"))


def _summary(s: dict[str, Any]) -> None:
    headline({t("llm.labeled"): f"{s['labeled']:,}", t("llm.unparsed"): f"{s['unparsed']:,}",
              t("llm.failed"): f"{s['failed']:,}", t("llm.skipped"): f"{s['skipped']:,}"},
             help={t("llm.unparsed"): t("llm.unparsed_help")})
    headline({t("llm.tokens"): f"{s['tokens']:,}", t("llm.latency"): fmt_latency(s["latency_s"]),
              t("llm.cost"): fmt_cost(s["cost_per_1000"])})


def _agreement(a: dict[str, Any]) -> None:
    if not a["n"]:
        st.info(t("llm.no_overlap"), icon=":material/info:")
        return
    kappa = "—" if a["kappa"] is None else f"{a['kappa']:.2f}"
    st.info(t("llm.agreement", n=a["n"], accuracy=fmt_metric("accuracy", a["accuracy"]), kappa=kappa),
            icon=":material/handshake:")


# -- on Evaluate: the LLM as a baseline ---------------------------------------------------------------
def baseline(run: Any, n_val: int) -> None:
    """The run's stored LLM baseline beside its model, and (for who may) a form to measure it."""
    data = read_llm_baseline(run.path)
    if data:
        baseline_view(data)
    user = auth.current_user()
    with st.expander(t("llm.eval.measure"), icon=":material/smart_toy:"):
        st.caption(t("llm.eval.intro"))
        if not _may(user):
            return
        if not (auth.allowed("view_texts", run.path) and auth.allowed("export", run.path)):
            st.info(t("llm.eval.texts_private"))
            return
        if not st.toggle(t("llm.enable"), value=False, key="llmeval_enabled", help=t("llm.enable_help")):
            return
        settings = settings_form("llmeval", min(50, n_val))
        if settings is None:
            return
        leaves(settings, min(settings.max_rows, n_val), "text", 0)
        if st.button(t("llm.eval.run"), key="llmeval_run", type="primary", icon=":material/play_arrow:"):
            try:
                with st.spinner(t("llm.eval.spinner")):
                    measure_llm_baseline(run.path, settings, user, secrets=auth.settings())
            except TuneboardError as e:
                show_error(e)
                return
            st.rerun()


def baseline_view(data: dict[str, Any]) -> None:
    """The LLM beside the model: accuracy, agreement, latency per text, cost per 1,000 texts, one sentence."""
    st.subheader(t("llm.eval.title"))
    headline({t("llm.eval.llm_accuracy"): fmt_metric("accuracy", data.get("llm_accuracy")),
              t("llm.eval.model_accuracy"): fmt_metric("accuracy", data.get("model_accuracy")),
              t("llm.eval.agreement"): fmt_metric("accuracy", data.get("agreement"))})
    headline({t("llm.eval.llm_latency"): fmt_latency(data.get("latency_s")),
              t("llm.eval.model_latency"): fmt_latency(data.get("model_latency_s")),
              t("llm.cost"): fmt_cost(data.get("cost_per_1000"))})
    sentence = baseline_sentence(data)
    if sentence:
        st.markdown(plain(sentence))
    st.caption(plain(t("llm.eval.which", model=data.get("model", ""), host=data.get("host", ""),
                       rows=data.get("rows", 0), of_rows=data.get("of_rows", 0), unparsed=data.get("unparsed", 0))))


def baseline_sentence(data: dict[str, Any]) -> str:
    """'A 22 M-parameter model agrees with the LLM on 96 % of these texts at 1/100 of its latency.'"""
    agree, llm, model = data.get("agreement"), data.get("latency_s"), data.get("model_latency_s")
    if agree is None or not llm or not model:
        return ""
    params = data.get("model_parameters")
    who = t("llm.eval.sized", size=fmt_count(params)) if params else t("llm.eval.unsized")
    agree_text = fmt_metric("accuracy", agree)
    if llm >= model:
        return t("llm.eval.faster", who=who, agree=agree_text, ratio=f"{llm / model:,.0f}")
    return t("llm.eval.slower", who=who, agree=agree_text, ratio=f"{model / llm:,.1f}")


def fmt_latency(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:,.0f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def fmt_cost(cost: float | None) -> str:
    if cost is None:
        return "—"
    return f"{cost:,.4f}" if 0 < cost < 0.01 else f"{cost:,.2f}"
