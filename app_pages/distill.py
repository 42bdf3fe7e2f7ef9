"""Make it smaller: distil a finished run into a faster student, then compare teacher and student."""
import streamlit as st

from components import auth, state
from components.live import live_panel
from components.tables import show_table
from components.uploads import save_upload
from components.widgets import fmt_count, fmt_metric, run_picker, show_error
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.protocol import ACTIVE, HAS_MODEL
from tuneboard.runs import open_run
from tuneboard.train import (
    DistillSettings,
    check_teacher,
    compare,
    plan,
    student_epochs,
    students_of,
    suggested_layers,
)

st.title(t("distill.title"))
st.caption(t("distill.caption"))

summary = run_picker()
run = open_run(summary["path"])
config = run.config()


def comparison(student_path: str, key: str) -> None:
    """The teacher-vs-student table, measured on demand (it times both models on this CPU)."""
    int8 = st.checkbox(t("distill.int8"), key=f"distill_int8_{key}")
    if st.button(t("distill.measure"), key=f"distill_measure_{key}", icon=":material/speed:"):
        try:
            with st.spinner(t("distill.measuring")):
                st.session_state["distill_table"] = {"student": student_path, **compare(student_path, int8=int8)}
        except TuneboardError as e:
            show_error(e)
    measured = st.session_state.get("distill_table")
    if measured and measured["student"] == student_path:
        rows = [{t("distill.col_model"): r["model"], t("distill.col_layers"): r["layers"],
                 t("distill.col_parameters"): fmt_count(r["parameters"]),
                 t("distill.col_size"): f"{r['size_mb']:.1f}", t("distill.col_p50"): f"{r['p50_ms']:.1f}",
                 t("distill.col_rows_per_s"): f"{r['rows_per_s']:,.0f}",
                 t("distill.col_accuracy"): fmt_metric("accuracy", r["accuracy"]),
                 "Macro-F1": fmt_metric("macro_f1", r["macro_f1"])} for r in measured["rows"]]
        show_table(rows, hide_index=True)
        st.success(measured["summary"], icon=":material/compress:")


if config.distill:  # a student: how it compares with its teacher
    st.subheader(t("distill.is_student"))
    st.text(t("distill.teacher", run=config.distill.teacher_run))
    if run.status().get("status") in HAS_MODEL:
        comparison(str(run.path), "self")
    else:
        live_panel(run.run_id)
    st.stop()

try:
    total = check_teacher(run)
except TuneboardError as e:
    st.info(e.title, icon=":material/info:")
    st.text(str(e))  # names a run: user data, never markdown
    st.stop()
if total < 2 or not auth.allowed("view_texts", run.path):
    st.info(t("distill.cannot"))
    st.stop()

# No st.form: in a form, Enter in a number box submits it (typing an epoch count queued a student).
left, right = st.columns(2)
layers = left.number_input(t("distill.layers"), 1, total - 1, suggested_layers(total), key="distill_layers",
                           help=t("distill.layers_help", total=total))
epochs = right.number_input(t("distill.epochs"), 1, 100, student_epochs(config), key="distill_epochs",
                            help=t("distill.epochs_help"))
temperature = left.slider(t("distill.temperature"), 0.5, 10.0, 2.0, 0.5, key="distill_temperature",
                          help=t("distill.temperature_help"))
alpha = right.slider(t("distill.alpha"), 0.0, 1.0, 0.5, 0.05, key="distill_alpha", help=t("distill.alpha_help"))
upload = st.file_uploader(t("distill.unlabeled"), type=["csv", "tsv", "txt", "xlsx", "json", "jsonl", "parquet"],
                          key="distill_unlabeled")
students = students_of(run.path)
busy = next((s for s in students if s.status().get("status") in ACTIVE), None)
start = st.button(t("distill.start"), key="distill_start", type="primary", icon=":material/compress:",
                  disabled=busy is not None)
if busy is not None:
    st.caption(t("distill.busy"))
elif start:  # a second click that raced the first finds its student queued above and does nothing
    try:
        record = save_upload(upload)
        settings = DistillSettings(layers=int(layers), temperature=float(temperature), alpha=float(alpha),
                                   epochs=int(epochs), unlabeled=record["path"] if record else None)
        student_config, data = plan(run.path, settings)
        live = state.registry().submit(student_config, data, user=auth.current_user())  # owned and counted
        st.session_state["distill_student"] = live.run_id
    except TuneboardError as e:
        show_error(e)
    else:
        st.rerun()  # drawn again with the student queued: the button is off while it is being made

if students:
    latest = students[0]
    st.subheader(t("distill.its_student"))
    st.text(latest.run_id)
    if latest.status().get("status") in HAS_MODEL:
        comparison(str(latest.path), "latest")
    else:
        live_panel(latest.run_id)
