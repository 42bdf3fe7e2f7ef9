"""Runs: every run ever made (read from the run folders, so it survives restarts); open, compare, delete."""
import time

import pandas as pd
import streamlit as st

from components import auth, charts, nav, state
from components.live import run_feed
from components.widgets import fmt_duration, fmt_metric, headline, model_name, plain, short_id, show_error, status_icon
from tuneboard import access
from tuneboard.errors import TuneboardError
from tuneboard.protocol import ACTIVE, RunStatus
from tuneboard.purge import delete_for_good
from tuneboard.runs import list_runs, open_run

st.title("Runs")
st.caption("Step 3 of 5 · Every run is a folder under models/runs: its settings, curves, scores and model.")

removed = st.session_state.pop("_deleted", None)
if removed:  # what the last "Delete for good" removed, shown once
    st.success(f"Deleted {len(removed)} {'item' if len(removed) == 1 else 'items'}:")
    st.text("\n".join(removed))

runs = list_runs()
if not runs:
    st.info("No runs yet. Start one on the **Train** page.")
    st.page_link(nav.page(nav.TRAIN), label="Go to Train", icon=":material/rocket_launch:")
    st.stop()

rows = [r.summary() for r in runs]
table = pd.DataFrame(
    {
        "Status": [f"{status_icon(r['status'])} {r['status']}" + (" · damaged" if r["damaged"] else "") for r in rows],
        "Run": [short_id(r["run_id"]) for r in rows],
        "Started": [
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r["started_at"])) if r["started_at"] else "—" for r in rows
        ],
        "Model": [model_name(r["model"]) for r in rows],
        "Data": [r["data"] for r in rows],
        "Preset": [r["preset"] for r in rows],
        "Duration": [fmt_duration(r["duration_s"]) for r in rows],
        "Score": [
            f"{charts.pretty(r['main_metric'])} {fmt_metric(r['main_metric'], r['main_value'])}"
            if r["main_metric"]
            else "—"
            for r in rows
        ],
    }
)
picked = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="single-row", key="runs_table",
                      height=min(400, 38 + 35 * len(rows)))
ids = [r["run_id"] for r in rows]
if len(rows) > 1:
    st.page_link(nav.page(nav.COMPARE), label="Compare runs side by side", icon=":material/compare_arrows:")
if picked and picked.selection.rows:
    state.select_run(ids[picked.selection.rows[0]])
run_id = state.selected_run_id() if state.selected_run_id() in ids else ids[0]
run, summary = runs[ids.index(run_id)], rows[ids.index(run_id)]

st.divider()
title, actions = st.columns([3, 2], vertical_alignment="center")
title.subheader(f"{status_icon(summary['status'])} {plain(short_id(run_id))}")
links = actions.columns(3)
links[0].page_link(nav.page(nav.TRAIN), label="Live view", icon=":material/monitoring:", query_params={"run": run_id})
links[1].page_link(nav.page(nav.EVALUATE), label="Evaluate", icon=":material/fact_check:", query_params={"run": run_id})
links[2].page_link(nav.page(nav.PREDICT), label="Predict", icon=":material/bolt:", query_params={"run": run_id})
if summary.get("reason") and summary["status"] != RunStatus.COMPLETED:
    st.caption(plain(summary["reason"]))

metrics = run.metrics() or {}
if metrics:
    numbers = {
        charts.pretty(k): fmt_metric(k, metrics[k])
        for k in ("accuracy", "macro_f1", "micro_f1", "rmse", "mae", "r2")
        if isinstance(metrics.get(k), (int, float))
    }
    numbers["Training time"] = fmt_duration(summary["duration_s"])
    headline(numbers)
feed = run_feed(run_id)
if feed and feed["events"]:
    curves = charts.training_curves(feed["parsed"])
    left, right = st.columns(2)
    left.plotly_chart(charts.loss_figure(curves), config=charts.PLOTLY_CONFIG)
    right.plotly_chart(charts.metric_figure(curves), config=charts.PLOTLY_CONFIG)

if summary["damaged"]:
    st.warning("This run's settings file (config.json) is damaged or unreadable, so it cannot be opened. "
               "Delete it below, or train it again.")
with st.expander("Settings of this run"):
    try:
        st.json(run.config().to_dict(), expanded=True)
    except TuneboardError as e:
        show_error(e)
    except Exception:  # a half-written config.json: the page (and its Delete button) must still draw
        st.text("config.json could not be read.")
    st.text(f"Folder: {run.path}")

owner = access.owner_record(run.path)  # shown as text: an id is user data
st.text(f"Owner: {owner['owner']}" + (" · its texts are shared with the team" if owner["shared"] else ""))
if auth.allowed("share", run.path):
    share = st.toggle("Share its texts with the team", value=owner["shared"], key=f"runs_share_{run_id}",
                      help="Teammates always see the curves and scores; shared, they also see the validation texts.")
    if share != owner["shared"]:
        access.set_shared(run.path, share)
        st.rerun()
active = summary["status"] in ACTIVE
may_delete = auth.allowed("delete", run.path)
if may_delete and st.button("Delete this run…", key="runs_delete", icon=":material/delete:", disabled=active,
                            help="Stop the run first." if active else "Removes the folder with its model."):
    st.session_state["_confirm_delete"] = run_id
if st.session_state.get("_confirm_delete") == run_id:
    st.warning(f"Delete **{plain(short_id(run_id))}** and its model for good? This cannot be undone.")
    yes, no, _ = st.columns([1, 1, 4])
    if yes.button("Yes, delete it", key="runs_confirm_delete", type="primary"):
        try:
            st.session_state["_deleted"] = delete_for_good(open_run(run.path), user=auth.current_user())
            state.select_run(None)
            st.session_state.pop("_confirm_delete", None)
            st.rerun()
        except TuneboardError as e:
            show_error(e)
    if no.button("Cancel", key="runs_cancel_delete"):
        st.session_state.pop("_confirm_delete", None)
        st.rerun()
