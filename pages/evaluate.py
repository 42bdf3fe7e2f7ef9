"""Evaluate: how good a run is on its validation rows, where it goes wrong, and on another file."""
import pandas as pd
import streamlit as st

from components import cache, charts
from components.sources import FILE_TYPES
from components.uploads import save_upload
from components.widgets import fmt_metric, headline, run_picker, show_error
from tuneboard.errors import TuneboardError
from tuneboard.runs import open_run

HEADLINES = {"single_label": ("accuracy", "macro_f1", "weighted_f1"), "multi_label": ("micro_f1", "macro_f1", "subset_accuracy"),
             "regression": ("rmse", "mae", "r2")}

st.title("Evaluate")
st.caption("Step 4 of 5 · Scores on the validation rows the model never trained on.")

summary = run_picker()
run = open_run(summary["path"])
metrics = run.metrics()
if not metrics:
    st.info("This run has no scores yet: it is still training, or it stopped before the first evaluation.")
    st.stop()

task = metrics["task"]
numbers = {charts.pretty(k): fmt_metric(k, metrics[k]) for k in HEADLINES[task] if k in metrics}
numbers["Validation rows"] = f"{metrics.get('n_val', metrics.get('n', 0)):,}"
headline(numbers)
base = metrics.get("baseline") or {}
main = metrics.get("main_metric")
if isinstance(base.get(main), (int, float)):
    gain = metrics[main] - base[main]
    better = gain > 0 if metrics.get("higher_is_better", True) else gain < 0
    st.caption(f"A quick TF-IDF + logistic-regression baseline on the same split scores {charts.pretty(main)} "
               f"{fmt_metric(main, base[main])}: the fine-tuned model is {'better' if better else 'not better'} "
               f"by {abs(gain) * (100 if main != 'rmse' else 1):.1f}{' points' if main != 'rmse' else ''}.")

per_class = metrics.get("per_class")
matrix = metrics.get("confusion_matrix")
if per_class:
    left, right = st.columns([5, 4], gap="medium")
    table = pd.DataFrame.from_dict(per_class, orient="index").rename_axis("Class").reset_index()
    table = table.rename(columns={"precision": "Precision", "recall": "Recall", "f1": "F1", "support": "Rows"})
    left.subheader("Per class")
    left.dataframe(table, hide_index=True, column_config={
        "Precision": st.column_config.NumberColumn(format="percent", width="small"),
        "Recall": st.column_config.NumberColumn(format="percent", width="small"),
        "F1": st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent", width="small"),
        "Rows": st.column_config.NumberColumn(width="small")})
    if matrix:
        right.subheader("Confusion matrix")
        right.plotly_chart(charts.confusion_figure(matrix["labels"], matrix["matrix"], title=None),
                           config={"displaylogo": False})

predictions = run.path / "predictions.parquet"
if predictions.is_file():
    frame = cache.predictions(str(predictions), predictions.stat().st_mtime)
    if task == "regression":
        st.subheader("Largest errors")
        wrong = frame.reindex(frame["error"].abs().sort_values(ascending=False).index).head(50)
        config = {}
    else:
        st.subheader(f"Mistakes ({int((~frame['correct']).sum())} of {len(frame)} validation rows)")
        st.caption("Confident mistakes first: these are often mislabeled rows worth fixing in the data.")
        wrong = frame[~frame["correct"]].sort_values("confidence", ascending=False)
        wrong = wrong[[c for c in ("text", "text_pair", "label", "predicted", "confidence") if c in wrong]]
        config = {"confidence": st.column_config.ProgressColumn("Confidence", min_value=0, max_value=1, format="percent"),
                  "text": st.column_config.TextColumn("Text", width="large"), "label": "True label",
                  "predicted": "Predicted", "text_pair": "Second text"}
    if wrong.empty:
        st.success("No mistakes on the validation rows.")
    else:
        st.dataframe(wrong, hide_index=True, column_config=config, height=min(420, 38 + 35 * len(wrong)))

with st.expander("Score it on another labeled file"):
    file = st.file_uploader("A table with the same text and label columns", type=FILE_TYPES, key="eval_upload")
    if file is not None and st.button("Evaluate this file", key="evaluate_file", type="primary"):
        from tuneboard.evaluation import evaluate_file

        try:
            with st.spinner("Scoring every row…"):
                result = evaluate_file(run.path, save_upload(file)["path"])
            headline({charts.pretty(k): fmt_metric(k, result[k]) for k in HEADLINES[task] if k in result}
                     | {"Rows": f"{result.get('n', 0):,}"})
        except TuneboardError as e:
            show_error(e)
