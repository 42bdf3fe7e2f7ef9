"""Predict: type or paste text, get the label, the probability of every class, and how long it took."""
import time

import pandas as pd
import streamlit as st

from components import cache, charts
from components.widgets import fmt_metric, headline, run_picker, show_error
from tuneboard.errors import TuneboardError

st.title("Predict")
st.caption("Step 5 of 5 · Try the model on new text. Several texts at once: one per line.")

summary = run_picker()
text = st.text_area("Text", key="predict_text", height=150,
                    placeholder="e.g. I was charged twice for my subscription this month, please refund one.")
st.button("Predict", key="predict_button", type="primary", icon=":material/bolt:")  # Ctrl+Enter in the box works too
lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
if not lines:
    st.info("Type a text above (or paste several, one per line) and press **Predict**.")
    st.stop()

try:
    predictor = cache.predictor(summary["path"], cache.model_stamp(summary["path"]))
    start = time.perf_counter()
    results = predictor.predict(lines)
    latency_ms = (time.perf_counter() - start) * 1000
except TuneboardError as e:
    show_error(e)
    st.stop()


def shown(label):
    if isinstance(label, list):
        return ", ".join(label) or "(no tag)"
    return f"{label:.3g}" if isinstance(label, float) else str(label)


if len(results) == 1:
    result = results[0]
    scores = result["scores"]
    confidence = max(scores.values()) if scores and predictor.task == "single_label" else None
    numbers = {"Prediction": shown(result["label"])}
    if confidence is not None:
        numbers["Confidence"] = fmt_metric("accuracy", confidence)
    numbers["Latency"] = f"{latency_ms:,.0f} ms"
    headline(numbers)
    if scores:
        st.plotly_chart(charts.probability_figure(scores), config={"displaylogo": False})
else:
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
    st.download_button("Download as CSV", table.to_csv(index=False).encode(), "predictions.csv", "text/csv",
                       icon=":material/download:")
