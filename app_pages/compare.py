"""Compare: two or more runs side by side: curves overlaid, scores beside their baselines, what settings differ."""
import pandas as pd
import streamlit as st

from components import charts, evalcharts, nav
from components.widgets import fmt_duration, fmt_metric, run_label, short_id, show_error
from tuneboard.compare import compare_runs
from tuneboard.errors import TuneboardError
from tuneboard.protocol import BASELINE_MODEL, RunStatus
from tuneboard.runs import list_runs
from tuneboard.studies import best_runs

SCORES = ("accuracy", "macro_f1", "micro_f1", "rmse", "r2", "eval_loss")

st.title("Compare runs")
st.caption("Did the bigger model, the other preset or the cleaned data actually help? Pick two or more runs.")

runs = [r for r in list_runs() if r.metrics()]
if len(runs) < 2:
    st.info("Comparing needs at least two runs with scores. Train another one on the **Train** page.")
    st.page_link(nav.page(nav.TRAIN), label="Go to Train", icon=":material/rocket_launch:")
    st.stop()

summaries = {r.run_id: r.summary() for r in runs}
best_of_study = best_runs()  # run id -> study id: the best run of each hyperparameter search
completed = [i for i, s in summaries.items() if s.get("status") == RunStatus.COMPLETED] or list(summaries)
# Newest first: the last finished run and the one before it, preferably on the same data.
same_data = [i for i in completed[1:] if summaries[i]["data"] == summaries[completed[0]]["data"]]
st.session_state.setdefault("compare_pick", [completed[0], (same_data or completed[1:] or list(summaries)[1:])[0]])
st.session_state["compare_pick"] = [i for i in st.session_state["compare_pick"] if i in summaries]
picked = st.multiselect("Runs", list(summaries), key="compare_pick",
                        format_func=lambda i: run_label(summaries[i]) + (" · ★ best of study" * (i in best_of_study)))
if len(picked) < 2:
    st.info("Pick at least two runs.")
    st.stop()

try:
    result = compare_runs([summaries[i]["path"] for i in picked])
except TuneboardError as e:
    show_error(e)
    st.stop()

tasks = {row["task"] for row in result["rows"]}
if len(tasks) > 1:
    st.warning("These runs solve different tasks, so their scores are not comparable: compare runs on the same data.")

names = {rid: short_id(rid) + (" ★" if rid in best_of_study else "") for rid in result["histories"]}
histories = {names[rid]: events for rid, events in result["histories"].items()}
metric = result["rows"][0]["main_metric"] or "macro_f1"
loss_col, metric_col = st.columns(2)
loss_col.plotly_chart(evalcharts.compare_loss_figure(histories), config=charts.PLOTLY_CONFIG)
metric_col.plotly_chart(evalcharts.compare_metric_figure(histories, metric), config=charts.PLOTLY_CONFIG)
metric_col.caption("Dashed lines: each run's TF-IDF baseline, in the run's colour.")

st.subheader("Scores")
table = pd.DataFrame({
    "Run": [names[r["run_id"]] for r in result["rows"]],
    "Model": [r["model"] for r in result["rows"]],
    "Preset": [r["preset"] for r in result["rows"]],
    charts.pretty(metric): [fmt_metric(metric, r["value"]) for r in result["rows"]],
    "TF-IDF baseline": [fmt_metric(metric, r["baseline_value"]) if r["model"] != BASELINE_MODEL else "(is the baseline)"
                        for r in result["rows"]],
    **{charts.pretty(k): [fmt_metric(k, r.get(k)) for r in result["rows"]]
       for k in SCORES if k != metric and any(r.get(k) is not None for r in result["rows"])},
    "Training time": [fmt_duration(r.get("wall_time_s")) for r in result["rows"]],
})
st.dataframe(table, hide_index=True)

st.subheader("Settings that differ")
diff = result["config_diff"]
if not diff:
    st.info("These runs used the same settings (only their data or random start differs).")
else:
    settings = pd.DataFrame({names[rid]: ["—" if v.get(rid) is None else str(v.get(rid)) for v in diff.values()]
                             for rid in result["histories"]}, index=list(diff))
    st.dataframe(settings.rename_axis("Setting").reset_index(), hide_index=True)
