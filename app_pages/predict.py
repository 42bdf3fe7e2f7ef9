"""Predict: type or paste text, or upload a whole file; export the model as a zip."""
import time

import pandas as pd
import streamlit as st

from components import batch, cache, charts, classes, insights, nav
from components.tables import show_table
from components.widgets import as_percent, fmt_metric, headline, percent_column, run_picker, show_error
from tuneboard.errors import TuneboardError
from tuneboard.files import safe_csv
from tuneboard.i18n import t

st.title(t("predict.title"))
nav.caption(nav.PREDICT, t("predict.caption"))

summary = run_picker()
batch.export_button(summary)
typed_tab, file_tab = st.tabs([t("predict.tab_typed"), t("predict.tab_file")])


def shown(label):
    if isinstance(label, list):
        return ", ".join(label) or t("predict.no_tag")
    return f"{label:.3g}" if isinstance(label, float) else str(label)


def typed_text() -> None:
    text = st.text_area(t("predict.text_label"), key="predict_text", height=150,
                        placeholder=t("predict.text_placeholder"))
    st.button(t("predict.button"), key="predict_button", type="primary", icon=":material/bolt:")  # Ctrl+Enter works too
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        st.info(t("predict.type_hint"))
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
        numbers = {t("predict.prediction"): shown(results[0]["label"])}
        if confidence is not None:
            numbers[t("predict.confidence")] = fmt_metric("accuracy", confidence)
        headline(numbers | {t("predict.latency"): f"{latency_ms:,.0f} ms"})
        classes.describe(results[0]["label"], classes.descriptions(summary["path"]))
        if scores:
            st.plotly_chart(charts.probability_figure(scores), config=charts.PLOTLY_CONFIG)
        if predictor.task != "regression" and st.toggle(t("predict.explain_toggle"), key="predict_explain"):
            insights.explained(predictor, lines[0])
        return
    headline({t("predict.texts"): f"{len(results):,}", t("predict.latency"): f"{latency_ms:,.0f} ms",
              t("predict.per_text"): f"{latency_ms / len(results):,.1f} ms"})
    text_col, conf_col = t("predict.text"), t("predict.confidence")
    table = pd.DataFrame({text_col: [r["text"] for r in results],
                          t("predict.prediction"): [shown(r["label"]) for r in results]})
    if predictor.task == "single_label":
        table[conf_col] = [max(r["scores"].values()) for r in results]
    for name in predictor.labels:
        table[name] = [r["scores"][name] for r in results]
    shares = {c: percent_column(c) for c in predictor.labels} | {conf_col: percent_column(conf_col, progress=True)}
    shares[text_col] = st.column_config.TextColumn(width="large")
    show_table(as_percent(table, [conf_col, *predictor.labels]), hide_index=True, column_config=shares)
    st.download_button(t("predict.download_csv"), safe_csv(table), "predictions.csv", "text/csv",
                       icon=":material/download:", on_click="ignore")


def file_predictions() -> None:
    record = batch.batch_file()
    if record is None:
        st.info(t("predict.upload_hint"))
        return
    try:
        df, _ = cache.read(record["path"], record.get("sha"))
        text_col, pair_col = batch.text_columns(df, record, summary)
        stamp = cache.model_stamp(summary["path"])
        with st.spinner(t("predict.predicting")):
            result = batch.predict_file(summary["path"], stamp, record["path"], record.get("sha"), text_col, pair_col)
    except TuneboardError as e:
        st.error(str(e))
        return
    rows = len(result["frame"])
    took = result["seconds"]
    headline({t("predict.rows"): f"{rows:,}",
              t("predict.time"): f"{took * 1000:,.0f} ms" if took < 1 else f"{took:,.1f} s",
              t("predict.speed"): t("predict.rows_per_s", speed=f"{rows / max(result['seconds'], 1e-9):,.0f}")})
    table, counts = st.columns([3, 1], gap="large")
    with table:
        batch.result_table(result, text_col)
    with counts:
        st.markdown(f"**{t('predict.rows_per_label')}**")
        show_table(result["counts"].rename("rows"), column_config={"_index": t("predict.label"),
                                                                      "rows": t("predict.rows_column")})
    name = record["name"].rsplit(".", 1)[0] + "-predictions.csv"
    st.download_button(t("predict.download_predictions"), result["csv"], name, "text/csv", key="predict_batch_download",
                       type="primary", icon=":material/download:", on_click="ignore")


with typed_tab:
    typed_text()
with file_tab:
    file_predictions()
