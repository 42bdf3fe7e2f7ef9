"""Monitor: what the served model sees -- traffic, latency, label mix and confidence against validation,
drift, and the texts it was least sure about, ready to label for the next training."""
import pandas as pd
import streamlit as st

from components import auth, registryview, servecharts
from components.retrain import follow_rule, retrain_panel
from components.tables import edit_table
from components.widgets import headline, run_picker, show_error
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.runs import open_run
from tuneboard.serve import compare, monitor, traffic

st.title(t("monitor.title"))
st.caption(t("monitor.caption"))
with st.expander(t("registry.ui.compare_title"), expanded=registryview.has_models(), icon=":material/balance:"):
    registryview.comparison_panel(compare)

summary = run_picker()
run = open_run(summary["path"])
user = auth.current_user()
retrain_panel(run)  # before the traffic: new labels can come from the labeling store too


@st.cache_data(max_entries=8, show_spinner=False)  # a rerun (labeling a row) reuses the counts until the log changes
def aggregates(path: str, stamp: tuple) -> traffic.TrafficView:
    return traffic.traffic_view(path)  # computed in SQLite: the log is never read whole; counts, never texts


view = aggregates(str(run.path), traffic.log_stamp(run.path))
if view.dropped:
    st.warning(t("monitor.dropped", rows=f"{view.dropped:,}"), icon=":material/warning:")
if not view.rows:
    st.info(t("monitor.empty"))
    st.stop()

headline({t("monitor.predictions"): f"{view.rows:,}", t("monitor.p50"): f"{view.p50_ms:,.1f} ms",
          t("monitor.p95"): f"{view.p95_ms:,.1f} ms"})
if view.latency_rows < view.rows:
    st.caption(t("monitor.latency_sample", rows=f"{view.latency_rows:,}"))
st.plotly_chart(servecharts.requests_figure(view.per_minute), config={"displaylogo": False})

drift = monitor.served_drift(run, view)
labels = drift["labels"]
alert = {"significant": st.error, "moderate": st.warning, "stable": st.success}.get(drift["level"], st.info)
alert(drift["message"], icon=":material/monitoring:")
follow_rule(run, drift["psi"])

if labels:
    mix, conf = st.columns(2)
    mix.plotly_chart(servecharts.versus_validation_figure(labels, drift["served_labels"], drift["validation_labels"],
                                                          t("monitor.label_mix"), t("monitor.label")),
                     config={"displaylogo": False})
    conf.plotly_chart(servecharts.versus_validation_figure(
        servecharts.bin_names(drift["bins"]), drift["served_confidence"], drift["validation_confidence"],
        t("monitor.confidence_title"), t("monitor.confidence")), config={"displaylogo": False})

st.subheader(t("monitor.least_sure"))
if not auth.allowed("view_texts", run.path):
    st.info(t("access.monitor.texts_private"))
    st.stop()
unsure = traffic.lowest_confidence(run.path, user=user)
if unsure.empty:
    st.caption(t("monitor.not_stored"))
    st.stop()
table = pd.DataFrame({"text": unsure["text"], "predicted": unsure["label"], "confidence": unsure["confidence"],
                      "label": ""})
edited = edit_table(table, hide_index=True, key="monitor_labels", disabled=["text", "predicted", "confidence"],
                        column_config={"text": t("monitor.text"), "predicted": t("monitor.predicted"),
                                       "label": st.column_config.SelectboxColumn(t("monitor.label"), options=labels),
                                       "confidence": st.column_config.ProgressColumn(
                                           t("monitor.confidence"), min_value=0, max_value=1)})
if not auth.allowed("feedback", run.path):
    st.caption(t("access.monitor.owner_adds"))
    st.stop()
if st.button(t("monitor.append"), key="monitor_append", icon=":material/playlist_add:"):
    try:
        rows = edited[edited["label"].fillna("").astype(str) != ""][["text", "label"]]
        path = monitor.add_feedback(run.path, rows, user)
        st.success(t("monitor.added", rows=len(rows)))
        st.code(str(path), language=None)
    except TuneboardError as e:
        show_error(e)
