"""Explaining a model to people: highlighted words (Predict, mistakes), slices, suspected mislabels and the
stakeholder report (Evaluate). Highlighted text is HTML built only from escaped strings (``highlight_html``)."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from . import cache
from .widgets import show_error

LEGEND = "Green words pushed the model **toward** this label, red words **against** it; stronger colour, stronger push."
EXPLAIN_SHOWN = 200  # mistakes offered in the "why?" picker


def explained(predictor: Any, text: str, label: str | None = None) -> None:
    """One text with its words highlighted for ``label`` (default: the predicted one)."""
    from tuneboard.errors import TuneboardError
    from tuneboard.explain import explain, highlight_html

    try:
        with st.spinner("Weighing every word…"):
            e = explain(predictor, [text], labels=[label] if label else None)[0]
    except TuneboardError as err:
        show_error(err)
        return
    st.html(highlight_html(e))
    st.caption(LEGEND + (" The model read only the first part of this long text." if e.truncated else ""))
    words = [(w.text, "toward", w.weight) for w in e.top(5)] + [(w.text, "against", w.weight)
                                                               for w in e.top(5, toward=False)]
    st.dataframe(pd.DataFrame(words, columns=["Word", "Pushes", "Weight"]), hide_index=True,
                 column_config={"Weight": st.column_config.NumberColumn(format="%+.3f")})


def explain_mistakes(run: Any, wrong: pd.DataFrame) -> None:
    """On demand: pick one of the mistakes and see which words led the model astray."""
    from tuneboard.baseline import is_baseline_folder

    if wrong.empty or "confidence" not in wrong or is_baseline_folder(run.model_dir):  # regression / TF-IDF
        return
    with st.expander("Why did the model say that? Explain a mistake"):
        rows = wrong.head(EXPLAIN_SHOWN).reset_index(drop=True)
        names = [f"{t} → {p}: {x[:90]}" for t, p, x in zip(rows["label"], rows["predicted"], rows["text"], strict=True)]
        pick = st.selectbox("Mistake", range(len(rows)), key="insights_explain_row", format_func=names.__getitem__)
        if st.button("Explain", key="insights_explain_button", icon=":material/lightbulb:"):
            predictor = cache.predictor(str(run.path), cache.model_stamp(str(run.path)))
            explained(predictor, str(rows["text"][pick]), str(rows["predicted"][pick]))


@st.cache_data(max_entries=4, show_spinner="Slicing the validation rows…")
def _sliced(run_path: str, frame: pd.DataFrame, metrics: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The judged predictions with the data file's extra columns, and their slice table (the file is read once)."""
    from tuneboard.runs import open_run
    from tuneboard.slices import judge, slice_table, with_data_columns

    judged = with_data_columns(judge(frame, metrics), open_run(run_path).config())
    return judged, slice_table(judged)


def slices(run: Any, metrics: dict[str, Any], frame: pd.DataFrame) -> None:
    """Accuracy per slice (extra columns, text length, script), worst first; a click lists that slice's mistakes."""
    from tuneboard.slices import slice_rows

    if "correct" not in frame:
        return
    judged, table = _sliced(str(run.path), frame, metrics)
    st.subheader("Slices: where the model is weaker")
    if table.empty:
        st.caption("No slice has enough rows to compare (at least 5 rows in two or more slices).")
        return
    st.caption("Validation accuracy per slice of the data, worst first. The 95 % interval is wide when a slice "
               "has few rows. Click a row to list that slice's mistakes.")
    view = table.drop(columns="below_overall").rename(columns={
        "by": "Slice by", "value": "Value", "rows": "Rows", "errors": "Mistakes", "accuracy": "Accuracy",
        "low": "Low (95 %)", "high": "High (95 %)", "macro_f1": "Macro-F1"})
    percent = st.column_config.NumberColumn(format="percent", width="small")
    picked = st.dataframe(view, hide_index=True, on_select="rerun", selection_mode="single-row",
                          key="insights_slice_pick", column_config={
                              "Accuracy": st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent"),
                              "Low (95 %)": percent, "High (95 %)": percent, "Macro-F1": percent})
    chosen = picked.selection.rows if picked and picked.selection else []
    if chosen:
        row = table.iloc[chosen[0]]
        part = slice_rows(judged, row["by"], row["value"])
        wrong = part[~part["correct"]]
        st.markdown(f"**{len(wrong)} mistakes** of {len(part)} rows in this slice:")
        st.caption(f"{row['by']} = {row['value']}")  # user data: shown as plain text, never as markdown
        cols = [c for c in ("text", "label", "predicted", "confidence") if c in wrong]
        st.dataframe(wrong[cols].sort_values("confidence", ascending=False), hide_index=True, column_config={
            "text": st.column_config.TextColumn("Text", width="large"), "label": "True label",
            "predicted": "Predicted",
            "confidence": st.column_config.ProgressColumn("Confidence", min_value=0, max_value=1, format="percent")})


@st.cache_data(max_entries=4, show_spinner="Cross-checking every label (a few seconds)…")
def _suspects(run_path: str, config: dict[str, Any], stamp: float) -> pd.DataFrame:
    from tuneboard.config import TrainConfig
    from tuneboard.mislabels import suspects_in_run_data

    return suspects_in_run_data(TrainConfig.from_dict(config))


def mislabels(run: Any, metrics: dict[str, Any]) -> None:
    """Rows whose label is probably wrong (whole dataset), fixed through the mistakes table's corrections."""
    from tuneboard.errors import TuneboardError

    if metrics.get("task") != "single_label":
        return
    st.subheader("Suspected mislabels")
    key = f"insights_suspects_{run.run_id}"
    if not st.session_state.get(key):
        st.caption("Cross-validate a fast TF-IDF model over every row of the data and let cleanlab flag the "
                   "labels the evidence disagrees with.")
        if st.button("Look for mislabeled rows", key="insights_find_mislabels", icon=":material/search:"):
            st.session_state[key] = True
            st.rerun()
        return
    cfg = run.config()
    try:
        found = _suspects(str(run.path), cfg.to_dict(), cache.model_stamp(str(run.path)))
    except TuneboardError as e:
        show_error(e)
        return
    if found.empty:
        st.success("No row looks mislabeled.")
        return
    st.warning(f"**{len(found)} rows are probably mislabeled** — review them: pick the right label or tick "
               "Exclude, then **Save corrected copy** below.")
    _review(run, found, [str(n) for n in metrics.get("labels") or []])


def _review(run: Any, found: pd.DataFrame, labels: list[str]) -> None:
    """The flagged rows in an editor whose fixes land in the same corrections as the mistakes table."""
    edits = st.session_state.setdefault("_corrections", {}).setdefault(run.run_id, {})
    view = found[["text", "label", "suggested", "label_quality"]].reset_index(drop=True)
    view["new_label"] = [edits.get(t) for t in view["text"]]
    view["exclude"] = [t in edits and edits[t] is None for t in view["text"]]
    table = st.data_editor(view, hide_index=True, key=f"insights_mislabel_editor_{run.run_id}",
                           disabled=["text", "label", "suggested", "label_quality"],
                           height=min(380, 38 + 35 * len(view)), column_config={
                               "text": st.column_config.TextColumn("Text", width="large"), "label": "Label now",
                               "suggested": "Likely label",
                               "label_quality": st.column_config.ProgressColumn(
                                   "Label quality", min_value=0, max_value=1, format="%.2f",
                                   help="How well the label fits the evidence (low: probably wrong)."),
                               "new_label": st.column_config.SelectboxColumn("New label", options=labels),
                               "exclude": st.column_config.CheckboxColumn("Exclude")})
    for row in table.itertuples(index=False):
        if row.exclude:
            edits[row.text] = None
        elif isinstance(row.new_label, str) and row.new_label.strip() and row.new_label != row.label:
            edits[row.text] = row.new_label.strip()
        else:
            edits.pop(row.text, None)


def report_button(run: Any) -> None:
    """Build the stakeholder report of this run, then offer it as a download."""
    from tuneboard.errors import TuneboardError
    from tuneboard.report import write_report

    build, download = st.columns([1, 3], vertical_alignment="center")
    if build.button("Stakeholder report", key="insights_build_report", icon=":material/summarize:",
                    help="One HTML file with charts and examples: opens offline in any browser, prints well."):
        try:
            with st.spinner("Writing the report (explaining a few examples)…"):
                path = write_report(run.path)
            st.session_state["_report"] = {"run": run.run_id, "path": str(path)}
        except TuneboardError as e:
            show_error(e)
    done = st.session_state.get("_report")
    if done and done["run"] == run.run_id:
        from pathlib import Path

        data = Path(done["path"]).read_bytes()
        download.download_button("Download report (HTML)", data, file_name=f"{run.run_id}-report.html",
                                 mime="text/html", key="insights_report_download", type="primary",
                                 icon=":material/download:", on_click="ignore")
