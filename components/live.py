"""The live training panel: progress, big numbers, loss/metric/learning-rate charts, Stop.

Each refresh brings this session's feed of the run up to date with ``runs.follow_run``: from the server's
registry while it trains the run, else from the run's folder.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from tuneboard.i18n import t
from tuneboard.protocol import (
    ACTIVE,
    BASELINE_MODEL,
    EarlyStop,
    Event,
    Notice,
    RunStatus,
    reason_text,
)

from . import auth, charts, lang, nav, state
from .widgets import fmt_duration, fmt_metric, guard, plain, short_id

S = RunStatus
# Badge colour per status; its word is the catalog's live.badge.<status> (one key per status here)
BADGES = {S.QUEUED: "gray", S.RUNNING: "green", S.STOPPING: "orange", S.COMPLETED: "blue", S.STOPPED: "violet",
          S.FAILED: "red", S.INTERRUPTED: "orange"}
REFRESH_S = 1.0


def run_feed(run_id: str) -> dict[str, Any] | None:
    """This session's copy of a run's events, brought up to date cheaply (``runs.follow_run``)."""
    from tuneboard.runs import follow_run

    feeds = st.session_state.setdefault("_feeds", {})
    feed = follow_run(run_id, feeds.get(run_id), state.registry().get(run_id), keep=("_charts",))
    if feed is not None:
        feeds[run_id] = feed
    return feed


def live_panel(run_id: str) -> None:
    """Draw a run; while it is queued or running, refresh about every second."""
    feed = run_feed(run_id)
    if feed is None:
        st.warning(t("live.not_found", run=plain(run_id)))
        return
    active = feed["status"] in ACTIVE
    st.fragment(run_every=REFRESH_S if active else None)(lang.localized(_panel))(run_id, active)


def _panel(run_id: str, was_active: bool) -> None:
    with guard():
        feed = run_feed(run_id)
        if feed is None:
            return
        if was_active and feed["status"] not in ACTIVE:
            st.rerun()  # the whole page (sidebar, links, timer) catches up once the run ends
        _header(run_id, feed)
        curves, loss, metric, lr = _figures(feed)
        _progress(feed, curves)
        _charts(feed, curves, loss, metric, lr)
        _notices(feed["parsed"])


def _charts(feed: dict[str, Any], curves: dict[str, Any], loss: Any, metric: Any, lr: Any) -> None:
    """Only charts that have something to show: before the first point a line saying when they come (empty
    axes read as a broken chart, and three of them pushed the status out of view); for the TF-IDF model,
    which has no steps, its score alone."""
    if _is_baseline(feed):
        st.caption(t("live.baseline_curves"))
        if curves["eval_step"]:
            st.plotly_chart(metric, key="train_live_metric", config=charts.PLOTLY_CONFIG)
        return
    # A line needs two points: one point drew an empty chart whose axes Plotly made up (learning rate 4.0e+0).
    lines = len(curves["step"]) >= 2
    if not lines and not curves["eval_step"]:
        if feed["status"] in ACTIVE:
            st.caption(t("live.curves_soon"))
        return
    left, right = st.columns(2)
    left.plotly_chart(loss, key="train_live_loss", config=charts.PLOTLY_CONFIG)
    if curves["eval_step"]:
        right.plotly_chart(metric, key="train_live_metric", config=charts.PLOTLY_CONFIG)
    if sum(v is not None for v in curves["lr"]) >= 2:
        st.plotly_chart(lr, key="train_live_lr", config=charts.PLOTLY_CONFIG)


def _is_baseline(feed: dict[str, Any]) -> bool:
    """Whether the run fits the TF-IDF model (its settings say so; read once per feed)."""
    if "_model" not in feed:
        from tuneboard.errors import TuneboardError
        from tuneboard.runs import run_by_id

        try:
            feed["_model"] = run_by_id(feed["run_id"]).config().model
        except (TuneboardError, OSError, ValueError):
            feed["_model"] = None
    return feed["_model"] == BASELINE_MODEL


def _figures(feed: dict[str, Any]) -> tuple[Any, ...]:
    """Curves and figures, brought up to date only when new events arrived. The figures are kept
    in the feed and their lines updated in place (``charts.LiveCharts``): the refresh is Python
    holding the GIL the training thread needs, so it must stay cheap."""
    cached = feed.get("_figures")
    if cached is not None and cached[0] == feed["n"]:
        return cached[1]
    live = feed.setdefault("_charts", charts.LiveCharts())
    curves = charts.training_curves(feed["parsed"])
    figures = (curves, *live.figures(curves, live=feed["status"] in ACTIVE))
    feed["_figures"] = (feed["n"], figures)
    return figures


def _header(run_id: str, feed: dict[str, Any]) -> None:
    status = feed["status"]
    label, color = (t(f"live.badge.{status}"), BADGES[status]) if status in BADGES else (status.capitalize(), "gray")
    title, action = st.columns([4, 1], vertical_alignment="center")
    title.markdown(f"### {plain(short_id(run_id))} &nbsp; :{color}-badge[{label}]")
    if feed.get("data"):  # the run's own file: after a restart this session's chosen data is the demo again
        title.caption(t("journeys.live.data", name=plain(feed["data"])))
    if feed["status"] in (S.QUEUED, S.RUNNING) and auth.allowed_run("stop", run_id):
        queued = feed["status"] == S.QUEUED
        verb = t("live.cancel") if queued else t("live.stop")
        if action.button(verb, key="stop_training", icon=":material/stop_circle:", width="stretch"):
            _act(run_id, lambda user: state.registry().stop(run_id, user),
                 t("live.cancelled") if queued else t("live.stopping"))
    elif feed["status"] in (S.INTERRUPTED, S.FAILED) and _resumable(run_id) and auth.allowed_run("resume", run_id):
        if action.button(t("live.resume"), key="train_resume", icon=":material/play_circle:", width="stretch",
                         help=t("live.resume_help")):
            _act(run_id, lambda user: state.registry().resume(run_id, user), t("live.resumed"))
    problem = st.session_state.get("_live_problem")
    if problem and problem[0] == run_id:
        st.error(problem[1], icon=":material/info:")
        st.text(problem[2])  # text, not markdown: it names a run
    _status_line(feed)


def _status_line(feed: dict[str, Any]) -> None:
    """Where the run stands, in one callout, and the next steps once it has a model."""
    status, reason = feed["status"], reason_text(feed.get("reason"))
    if status == S.QUEUED:
        st.info(t("live.waiting"), icon=":material/schedule:")
    elif status == S.COMPLETED and (early := _early_stop(feed["parsed"])) is not None:
        st.info(t("live.stopped_early", epoch=f"{early.epoch:.1f}", reason=early.text(), step=early.best_step),
                icon=":material/front_hand:")
    elif status == S.COMPLETED:
        st.success(t("live.finished_baseline") if _is_baseline(feed) else t("live.finished"),
                   icon=":material/check_circle:")
    elif status == S.STOPPED:
        st.info(reason or t("live.stopped"))
    elif status in (S.FAILED, S.INTERRUPTED):
        st.error(reason or t("live.no_reason"))
    if status in (S.COMPLETED, S.STOPPED):
        _next_steps()


def _next_steps() -> None:
    """Where to go from a finished run: real links, not bold words."""
    left, right, _ = st.columns([1, 1, 2])
    left.page_link(nav.page(nav.EVALUATE), label=t("live.next_evaluate"), icon=":material/fact_check:")
    right.page_link(nav.page(nav.PREDICT), label=t("live.next_predict"), icon=":material/bolt:")


def _resumable(run_id: str) -> bool:
    """An interrupted run, or a failed one that kept its checkpoint, can go on (``checkpoint.resumable``)."""
    from tuneboard.errors import TuneboardError
    from tuneboard.runs import run_by_id
    from tuneboard.train import resumable

    try:
        return resumable(run_by_id(run_id))
    except TuneboardError:
        return False


def _act(run_id: str, action: Any, done: str) -> None:
    """Stop or Resume as the current user; the engine's refusal (not the owner, nothing to stop, the run
    ended meanwhile) stays on the panel as one line instead of a "Stopping…" that never ends."""
    from tuneboard.errors import TuneboardError

    st.session_state.pop("_live_problem", None)
    try:
        if action(auth.current_user()) is False:
            raise TuneboardError(t("live.not_in_queue"))
        st.toast(done)
    except TuneboardError as e:
        st.session_state["_live_problem"] = (run_id, e.title, str(e))
    st.rerun()  # the whole page: a run that ended or started again changes more than this panel


def _progress(feed: dict[str, Any], curves: dict[str, Any]) -> None:
    latest = feed.get("latest") or {}
    done = feed["status"] == S.COMPLETED
    progress = 1.0 if done else float(latest.get("progress") or 0.0)
    total, step = latest.get("total_steps"), latest.get("step", 0)
    if total:
        epochs = int(latest.get("epochs") or 1)
        epoch = min(int(latest.get("epoch") or 0) + 1, epochs)
        text = t("live.step_of", step=f"{step:,}", total=f"{total:,}", epoch=epoch, epochs=epochs)
    else:
        text = t("live.preparing") if feed["status"] in ACTIVE else ""
    st.progress(min(progress, 1.0), text=text)
    metrics = curves["metrics"]
    name = next(iter(metrics), None)
    best = curves["eval_step"].index(curves["best_step"]) if curves.get("best_step") in curves["eval_step"] else -1
    numbers = {
        t("live.train_loss"): fmt_metric("loss", curves["loss"][-1]) if curves["loss"] else "—",
        t("live.best", metric=charts.pretty(name) if name else t("live.score")):
            fmt_metric(name, metrics[name][best]) if name else "—",
        t("live.elapsed"): fmt_duration(latest.get("elapsed")),
        t("live.time_left"): "—" if feed["status"] not in ACTIVE or latest.get("eta") is None
        else fmt_duration(latest["eta"]),
        t("live.samples_per_s"): f"{latest['samples_per_second']:,.0f}" if latest.get("samples_per_second") else "—",
    }
    if latest.get("gpu_memory_gb") is not None:
        numbers[t("live.gpu_memory")] = f"{latest['gpu_memory_gb']:.1f} GB"
    for col, (k, v) in zip(st.columns(len(numbers)), numbers.items(), strict=False):
        col.metric(k, v, border=True)


def _early_stop(events: list[Event]) -> EarlyStop | None:
    return next((e for e in reversed(events) if isinstance(e, EarlyStop)), None)


def _notices(events: list[Event]) -> None:
    notes = [e for e in events if isinstance(e, Notice)]
    if notes:
        with st.expander(t("live.notes", n=len(notes))):
            for e in notes:
                st.markdown(f"- {plain(e.text())}")  # notes name columns and labels
