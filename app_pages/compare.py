"""Compare: two or more runs side by side: curves overlaid, scores beside their baselines, what settings differ."""
import pandas as pd
import streamlit as st

from components import charts, evalcharts, nav, settingsview
from components.tables import show_table
from components.widgets import fmt_duration, fmt_metric, model_name, run_label, short_id, show_error
from tuneboard.errors import TuneboardError
from tuneboard.evaluate import compare_runs
from tuneboard.i18n import t
from tuneboard.protocol import BASELINE_MODEL, HEADLINE_METRICS, RunStatus
from tuneboard.runs import list_runs
from tuneboard.search import best_runs

SCORES = (*HEADLINE_METRICS, "eval_loss")

st.title(t("compare.title"))
st.caption(t("compare.caption"))

runs = [r for r in list_runs() if r.metrics()]
if len(runs) < 2:
    st.info(t("compare.need_two"))
    st.page_link(nav.page(nav.TRAIN), label=t("widgets.go_train"), icon=":material/rocket_launch:")
    st.stop()

summaries = {r.run_id: r.summary() for r in runs}
best_of_study = best_runs()  # run id -> study id: the best run of each hyperparameter search
completed = [i for i, s in summaries.items() if s.get("status") == RunStatus.COMPLETED] or list(summaries)
# Newest first: the last finished run and the one before it, preferably on the same data.
same_data = [i for i in completed[1:] if summaries[i]["data"] == summaries[completed[0]]["data"]]
st.session_state.setdefault("compare_pick", [completed[0], (same_data or completed[1:] or list(summaries)[1:])[0]])
st.session_state["compare_pick"] = [i for i in st.session_state["compare_pick"] if i in summaries]
best_mark = f" · ★ {t('compare.best_of_study')}"
picked = st.multiselect(t("compare.runs"), list(summaries), key="compare_pick",
                        format_func=lambda i: run_label(summaries[i]) + (best_mark * (i in best_of_study)))
if len(picked) < 2:
    st.info(t("compare.pick_two"))
    st.stop()

try:
    result = compare_runs([summaries[i]["path"] for i in picked])
except TuneboardError as e:
    show_error(e)
    st.stop()

tasks = {row["task"] for row in result["rows"]}
if len(tasks) > 1:
    st.warning(t("compare.different_tasks"))

names = {rid: short_id(rid) + (" ★" if rid in best_of_study else "") for rid in result["histories"]}
histories = {names[rid]: events for rid, events in result["histories"].items()}
metric = result["rows"][0]["main_metric"] or "macro_f1"
loss_col, metric_col = st.columns(2)
loss_col.plotly_chart(evalcharts.compare_loss_figure(histories), config=charts.PLOTLY_CONFIG)
metric_col.plotly_chart(evalcharts.compare_metric_figure(histories, metric), config=charts.PLOTLY_CONFIG)
metric_col.caption(t("compare.dashed"))

st.subheader(t("compare.scores"))
table = pd.DataFrame({
    t("runs.col.run"): [names[r["run_id"]] for r in result["rows"]],
    t("runs.col.model"): [model_name(r["model"]) for r in result["rows"]],
    t("runs.col.preset"): [settingsview.value("preset", r["preset"]) for r in result["rows"]],
    charts.pretty(metric): [fmt_metric(metric, r["value"]) for r in result["rows"]],
    t("compare.baseline"): [fmt_metric(metric, r["baseline_value"]) if r["model"] != BASELINE_MODEL
                            else t("compare.is_baseline") for r in result["rows"]],
    **{charts.pretty(k): [fmt_metric(k, r.get(k)) for r in result["rows"]]
       for k in SCORES if k != metric and any(r.get(k) is not None for r in result["rows"])},
    t("runs.training_time"): [fmt_duration(r.get("wall_time_s")) for r in result["rows"]],
})
show_table(table, hide_index=True, column_config={c: st.column_config.Column(width="medium") for c in table})

st.subheader(t("compare.settings_differ"))
diff = result["config_diff"]
if not diff:
    st.info(t("compare.same_settings"))
else:
    # a file or folder by its name: the server's paths say nothing to the room and overflow the table
    settings = pd.DataFrame({names[rid]: [settingsview.value(name, v.get(rid)) for name, v in diff.items()]
                             for rid in result["histories"]}, index=[settingsview.label(name) for name in diff])
    show_table(settings.rename_axis(t("compare.setting")).reset_index(), hide_index=True)
