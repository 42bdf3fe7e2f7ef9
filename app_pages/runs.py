"""Runs: every run ever made (read from the run folders, so it survives restarts); open, compare, delete."""
import time

import pandas as pd
import streamlit as st

from components import auth, charts, nav, settingsview, state
from components.live import run_feed
from components.tables import show_table
from components.widgets import (
    fmt_duration,
    fmt_metric,
    headline,
    model_name,
    plain,
    short_id,
    show_error,
    status_icon,
    status_word,
)
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.lifecycle import delete_for_good
from tuneboard.protocol import ACTIVE, BASELINE_MODEL, RunStatus, headline_scores, reason_text
from tuneboard.runs import list_runs, open_run
from tuneboard.team import access

st.title(t("nav.runs"))
nav.caption(nav.RUNS, t("runs.caption"))

removed = st.session_state.pop("_deleted", None)
if removed:  # what the last "Delete for good" removed, shown once
    st.success(t("runs.deleted_one") if len(removed) == 1 else t("runs.deleted_many", n=len(removed)))
    st.text("\n".join(removed))

runs = list_runs()
if not runs:
    st.info(t("runs.none"))
    st.page_link(nav.page(nav.TRAIN), label=t("widgets.go_train"), icon=":material/rocket_launch:")
    st.stop()

rows = [r.summary() for r in runs]
table = pd.DataFrame(
    {
        t("runs.col.status"): [f"{status_icon(r['status'])} {status_word(r['status'])}"
                               + (f" · {t('runs.damaged')}" if r["damaged"] else "") for r in rows],
        t("runs.col.run"): [short_id(r["run_id"]) for r in rows],
        t("runs.col.started"): [
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r["started_at"])) if r["started_at"] else "—" for r in rows
        ],
        t("runs.col.model"): [model_name(r["model"]) for r in rows],
        t("runs.col.data"): [r["data"] for r in rows],
        t("runs.col.preset"): [settingsview.value("preset", r["preset"]) for r in rows],
        t("runs.col.duration"): [fmt_duration(r["duration_s"]) for r in rows],
        t("runs.col.score"): [
            f"{charts.pretty(r['main_metric'])} {fmt_metric(r['main_metric'], r['main_value'])}"
            if r["main_metric"]
            else "—"
            for r in rows
        ],
    }
)
picked = show_table(table, hide_index=True, on_select="rerun", selection_mode="single-row", key="runs_table",
                      height=min(400, 38 + 35 * len(rows)))
ids = [r["run_id"] for r in rows]
if len(rows) > 1:
    st.page_link(nav.page(nav.COMPARE), label=t("runs.compare"), icon=":material/compare_arrows:")
if picked and picked.selection.rows:
    state.select_run(ids[picked.selection.rows[0]])
run_id = state.selected_run_id() if state.selected_run_id() in ids else ids[0]
run, summary = runs[ids.index(run_id)], rows[ids.index(run_id)]

st.divider()
title, actions = st.columns([3, 2], vertical_alignment="center")
title.subheader(f"{status_icon(summary['status'])} {plain(short_id(run_id))}")
links = actions.columns(3)
links[0].page_link(nav.page(nav.TRAIN), label=t("runs.live_view"), icon=":material/monitoring:",
                   query_params={"run": run_id})
links[1].page_link(nav.page(nav.EVALUATE), label=nav.title_of(nav.EVALUATE), icon=":material/fact_check:",
                   query_params={"run": run_id})
links[2].page_link(nav.page(nav.PREDICT), label=nav.title_of(nav.PREDICT), icon=":material/bolt:",
                   query_params={"run": run_id})
if summary.get("reason") and summary["status"] != RunStatus.COMPLETED:
    st.caption(plain(reason_text(summary["reason"])))

metrics = run.metrics() or {}
if metrics:
    numbers = {charts.pretty(k): fmt_metric(k, v) for k, v in headline_scores(metrics).items()}
    numbers[t("runs.training_time")] = fmt_duration(summary["duration_s"])
    headline(numbers)
feed = None if summary["model"] == BASELINE_MODEL else run_feed(run_id)  # the TF-IDF model has no curves
if feed and feed["events"]:
    curves = charts.training_curves(feed["parsed"])
    # only charts with a line: one point draws axes Plotly makes up
    shown = [fig for fig, n in ((charts.loss_figure(curves), len(curves["step"])),
                                (charts.metric_figure(curves), len(curves["eval_step"]))) if n >= 2]
    for col, fig in zip(st.columns(2) if shown else [], shown, strict=False):
        col.plotly_chart(fig, config=charts.PLOTLY_CONFIG)

if summary["damaged"]:
    st.warning(t("runs.damaged_warning"))
with st.expander(t("runs.settings")):
    try:
        show_table(settingsview.table(run.config().to_dict()), hide_index=True)
    except TuneboardError as e:
        show_error(e)
    except Exception:  # a half-written config.json: the page (and its Delete button) must still draw
        st.text(t("runs.config_unreadable"))
    st.text(t("runs.folder", path=run.path))

owner = access.owner_record(run.path)  # shown as text: an id is user data
st.text(t("runs.owner", owner=owner["owner"]) + (f" · {t('runs.shared')}" if owner["shared"] else ""))
if auth.allowed("share", run.path):
    share = st.toggle(t("runs.share"), value=owner["shared"], key=f"runs_share_{run_id}", help=t("runs.share_help"))
    if share != owner["shared"]:
        access.set_shared(run.path, share)
        st.rerun()
active = summary["status"] in ACTIVE
may_delete = auth.allowed("delete", run.path)
if may_delete and st.button(t("runs.delete"), key="runs_delete", icon=":material/delete:", disabled=active,
                            help=t("runs.delete_stop_first") if active else t("runs.delete_help")):
    st.session_state["_confirm_delete"] = run_id
if st.session_state.get("_confirm_delete") == run_id:
    st.warning(t("runs.confirm", run=plain(short_id(run_id))))
    yes, no, _ = st.columns([1, 1, 4])
    if yes.button(t("runs.yes_delete"), key="runs_confirm_delete", type="primary"):
        try:
            st.session_state["_deleted"] = delete_for_good(open_run(run.path), user=auth.current_user())
            state.select_run(None)
            st.session_state.pop("_confirm_delete", None)
            st.rerun()
        except TuneboardError as e:
            show_error(e)
    if no.button(t("live.cancel"), key="runs_cancel_delete"):
        st.session_state.pop("_confirm_delete", None)
        st.rerun()
