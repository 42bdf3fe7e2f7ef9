"""Predict: type or paste text, or upload a whole file; export the model as a zip."""
import time

import pandas as pd
import streamlit as st

from components import batch, cache, charts, insights
from components.widgets import fmt_metric, headline, run_picker, show_error
from tuneboard.errors import TuneboardError
from tuneboard.files import safe_csv

st.title("Predict")
st.caption("Step 5 of 5 · Try the model on new text, predict a whole file, or take the model with you.")

summary = run_picker()
batch.export_button(summary)
typed_tab, file_tab = st.tabs(["Type text", "Predict a file"])


def shown(label):
    if isinstance(label, list):
        return ", ".join(label) or "(no tag)"
    return f"{label:.3g}" if isinstance(label, float) else str(label)


def typed_text() -> None:
    text = st.text_area("Text (several texts at once: one per line)", key="predict_text", height=150,
                        placeholder="e.g. I was charged twice for my subscription this month, please refund one.")
    st.button("Predict", key="predict_button", type="primary", icon=":material/bolt:")  # Ctrl+Enter works too
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        st.info("Type a text above (or paste several, one per line) and press **Predict**.")
        return
    try:
        predictor = cache.predictor(summary["path"], cache.model_stamp(summary["path"]))
        start = time.perf_counter()
        results = predictor.predict(lines)
        latency_ms = (time.perf_counter() - start) * 1000
    except TuneboardError as e:
        show_error(e)
        return
    if len(results) == 1:
        scores = results[0]["scores"]
        confidence = max(scores.values()) if scores and predictor.task == "single_label" else None
        numbers = {"Prediction": shown(results[0]["label"])}
        if confidence is not None:
            numbers["Confidence"] = fmt_metric("accuracy", confidence)
        headline(numbers | {"Latency": f"{latency_ms:,.0f} ms"})
        if scores:
            st.plotly_chart(charts.probability_figure(scores), config=charts.PLOTLY_CONFIG)
        if predictor.tokenizer is not None and predictor.task != "regression" and \
                st.toggle("Why this label? Highlight the words that mattered", key="predict_explain"):
            insights.explained(predictor, lines[0])
        return
    headline({"Texts": f"{len(results):,}", "Latency": f"{latency_ms:,.0f} ms",
              "Per text": f"{latency_ms / len(results):,.1f} ms"})
    table = pd.DataFrame({"Text": [r["text"] for r in results], "Prediction": [shown(r["label"]) for r in results]})
    if predictor.task == "single_label":
        table["Confidence"] = [max(r["scores"].values()) for r in results]
    for name in predictor.labels:
        table[name] = [r["scores"][name] for r in results]
    shares = {c: st.column_config.NumberColumn(c, format="percent") for c in predictor.labels}
    shares["Confidence"] = st.column_config.ProgressColumn("Confidence", min_value=0, max_value=1, format="percent")
    st.dataframe(table, hide_index=True, column_config=shares | {"Text": st.column_config.TextColumn(width="large")})
    st.download_button("Download as CSV", safe_csv(table), "predictions.csv", "text/csv",
                       icon=":material/download:", on_click="ignore")


def file_predictions() -> None:
    record = batch.batch_file()
    if record is None:
        st.info("Upload a table: every row gets a predicted label and a score per class.")
        return
    try:
        df, _ = cache.read(record["path"], record.get("sha"))
        text_col, pair_col = batch.text_columns(df, record, summary)
        stamp = cache.model_stamp(summary["path"])
        result = batch.predict_file(summary["path"], stamp, record["path"], record.get("sha"), text_col, pair_col)
    except TuneboardError as e:
        st.error(str(e))
        return
    rows = len(result["frame"])
    took = result["seconds"]
    headline({"Rows": f"{rows:,}", "Time": f"{took * 1000:,.0f} ms" if took < 1 else f"{took:,.1f} s",
              "Speed": f"{rows / max(result['seconds'], 1e-9):,.0f} rows/s"})
    table, counts = st.columns([3, 1], gap="large")
    with table:
        batch.result_table(result, text_col)
    with counts:
        st.markdown("**Rows per predicted label**")
        st.dataframe(result["counts"].rename("rows"), column_config={"_index": "label"})
    name = record["name"].rsplit(".", 1)[0] + "-predictions.csv"
    st.download_button("Download predictions (CSV)", result["csv"], name, "text/csv", key="predict_batch_download",
                       type="primary", icon=":material/download:", on_click="ignore")


with typed_tab:
    typed_text()
with file_tab:
    file_predictions()
