"""Monitor: what the served model sees -- traffic, latency, label mix and confidence against validation,
drift, and the texts it was least sure about, ready to label for the next training."""
import pandas as pd
import streamlit as st

from components import servecharts
from components.widgets import headline, run_picker, show_error
from tuneboard import monitor
from tuneboard.errors import TuneboardError
from tuneboard.runs import open_run, runs_root

st.title("Monitor")
st.caption("Every prediction the API served: how much, how fast, and whether live traffic still looks like validation.")

summary = run_picker()
run = open_run(summary["path"])
log = monitor.read_log(run.path)
if log.empty:
    st.info("No served predictions yet. Start the API on the **Deploy** page and send it a request.")
    st.stop()

traffic = monitor.traffic_summary(log)
headline({"Predictions": f"{traffic['rows']:,}", "Latency p50": f"{traffic['p50_ms']:,.1f} ms",
          "Latency p95": f"{traffic['p95_ms']:,.1f} ms"})
st.plotly_chart(servecharts.requests_figure(traffic["per_minute"]), config={"displaylogo": False})

predictions = run.path / "predictions.parquet"
validation = pd.read_parquet(predictions) if predictions.is_file() else pd.DataFrame()
labels = (run.metrics() or {}).get("labels") or []
drift = monitor.drift_report(log, validation, labels)
alert = {"significant": st.error, "moderate": st.warning, "stable": st.success}.get(drift["level"], st.info)
alert(drift["message"], icon=":material/monitoring:")

if labels:
    mix, conf = st.columns(2)
    mix.plotly_chart(servecharts.versus_validation_figure(labels, drift["served_labels"], drift["validation_labels"],
                                                          "Label mix", "label"), config={"displaylogo": False})
    conf.plotly_chart(servecharts.versus_validation_figure(
        servecharts.bin_names(drift["bins"]), drift["served_confidence"], drift["validation_confidence"],
        "Confidence", "confidence"), config={"displaylogo": False})

st.subheader("Least sure: label them for the next training")
unsure = monitor.lowest_confidence(log)
if unsure.empty:
    st.caption("Texts are not stored (the default: a hash and the length only). Start the API with "
               "'Store served texts' to label the ones the model was least sure about.")
    st.stop()
table = pd.DataFrame({"text": unsure["text"], "predicted": unsure["label"], "confidence": unsure["confidence"],
                      "label": ""})
edited = st.data_editor(table, hide_index=True, key="monitor_labels", disabled=["text", "predicted", "confidence"],
                        column_config={"label": st.column_config.SelectboxColumn("label", options=labels),
                                       "confidence": st.column_config.ProgressColumn(min_value=0, max_value=1)})
dest = runs_root().parent / "feedback" / f"{run.run_id}.csv"
if st.button("Add the labeled texts to the dataset", key="monitor_append", icon=":material/playlist_add:"):
    try:
        rows = edited[edited["label"].fillna("").astype(str) != ""][["text", "label"]]
        path = monitor.append_labeled(dest, rows)
        st.success(f"Added {len(rows)} rows. Train on them next time:")
        st.code(str(path), language=None)
    except TuneboardError as e:
        show_error(e)
