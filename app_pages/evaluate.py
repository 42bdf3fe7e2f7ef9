"""Evaluate: how good a run is on its validation rows, whether it beat the baseline, where it goes wrong
(and fixing those rows), and its scores on another file."""
import streamlit as st

from components import auth, cache, classes, evalviews, insights, llmlabels, mistakes, nav
from components.sources import FILE_TYPES
from components.uploads import save_upload
from components.widgets import fmt_metric, headline, run_picker, show_error
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.lifecycle import run_classes
from tuneboard.paths import RunFiles
from tuneboard.runs import open_run

st.title(t("eval.title"))
nav.caption(nav.EVALUATE, t("eval.caption"))

summary = run_picker()
run = open_run(summary["path"])
metrics = run.metrics()
if not metrics:
    st.info(t("eval.no_scores"))
    st.stop()
if st.session_state.get("_evaluated") != run.run_id:  # another run: its own threshold and filters
    for key in (evalviews.THRESHOLD_KEY, *mistakes.FILTER_KEYS):
        st.session_state.pop(key, None)
    st.session_state["_evaluated"] = run.run_id

task, labels = metrics["task"], metrics.get("labels") or []
predictions = run.path / RunFiles.PREDICTIONS
frame = cache.predictions(str(predictions), predictions.stat().st_mtime) if predictions.is_file() else None

evalviews.coaching(run.history(), metrics, run.path)
evalviews.headline(metrics)
insights.report_button(run)

if task == "regression":
    evalviews.regression(frame)
else:
    evalviews.per_class(metrics, select_key=mistakes.CHART_KEY, on_select=mistakes.take_cell,
                        descriptions=classes.descriptions(str(run.path)))
    classes.run_editor(run, run_classes(run))
if task == "single_label" and len(labels) == 2:
    evalviews.binary(run, metrics, frame)
if task == "single_label":
    evalviews.calibration(metrics)
    llmlabels.baseline(run, int(metrics.get("n_val") or 0))

if frame is not None and auth.allowed("view_texts", run.path):
    st.divider()
    insights.slices(run, metrics, frame)
    st.divider()
    insights.mislabels(run, metrics)
    mistakes.error_analysis(run, metrics, frame)
    insights.explain_mistakes(run, mistakes.wrong_rows(frame, metrics))
elif frame is not None:
    st.info(t("eval.texts_private"))

with st.expander(t("eval.other_file")):
    file = st.file_uploader(t("eval.other_file_upload"), type=FILE_TYPES, key="eval_upload")
    if file is not None and st.button(t("eval.other_file_button"), key="eval_file_button", type="primary"):
        from tuneboard.evaluate import evaluate_file

        try:
            with st.spinner(t("eval.other_file_spinner")):
                result = evaluate_file(run.path, save_upload(file)["path"])
            keys = [k for k in evalviews.HEADLINES[task] if k in result]
            scores = {evalviews.metric_name(k): fmt_metric(k, result[k]) for k in keys}
            headline(scores | {t("eval.rows"): f"{result.get('n', 0):,}"})
        except TuneboardError as e:
            show_error(e)
