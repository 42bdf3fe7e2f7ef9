"""Explaining a model to people: highlighted words (Predict, mistakes), slices, suspected mislabels and the
stakeholder report (Evaluate). Highlighted text is HTML built only from escaped strings (``highlight_html``)."""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from tuneboard.i18n import t

from . import auth, cache
from .tables import edit_table, show_table
from .widgets import as_percent, percent_column, plain, show_error

EXPLAIN_SHOWN = 200  # mistakes offered in the "why?" picker


def explained(predictor: Any, text: str, label: str | None = None) -> None:
    """One text with its words highlighted for ``label`` (default: the predicted one)."""
    from tuneboard.errors import TuneboardError
    from tuneboard.predict import explain, highlight_html

    try:
        with st.spinner(t("insights.weighing")):
            e = explain(predictor, [text], labels=[label] if label else None)[0]
    except TuneboardError as err:
        show_error(err)
        return
    st.html(highlight_html(e))
    st.caption(t("insights.legend") + (" " + t("insights.truncated") if e.truncated else ""))
    toward, against = t("insights.toward"), t("insights.against")
    words = [(w.text, toward, w.weight) for w in e.top(5)] + [(w.text, against, w.weight)
                                                             for w in e.top(5, toward=False)]
    show_table(pd.DataFrame(words, columns=["Word", "Pushes", "Weight"]), hide_index=True,
                 column_config={"Word": t("insights.word"), "Pushes": t("insights.pushes"),
                                "Weight": st.column_config.NumberColumn(t("insights.weight"), format="%+.3f")})


def explain_mistakes(run: Any, wrong: pd.DataFrame) -> None:
    """On demand: pick one of the mistakes and see which words led the model astray."""
    if wrong.empty or "confidence" not in wrong:  # regression
        return
    with st.expander(t("insights.explain_mistake")):
        rows = wrong.head(EXPLAIN_SHOWN).reset_index(drop=True)
        names = [f"{y} → {p}: {x[:90]}" for y, p, x in zip(rows["label"], rows["predicted"], rows["text"], strict=True)]
        pick = st.selectbox(t("insights.mistake"), range(len(rows)), key="insights_explain_row",
                            format_func=names.__getitem__)
        if st.button(t("insights.explain"), key="insights_explain_button", icon=":material/lightbulb:"):
            predictor = cache.predictor(str(run.path), cache.model_stamp(str(run.path)))
            explained(predictor, str(rows["text"][pick]), str(rows["predicted"][pick]))


@st.cache_data(max_entries=4, show_spinner=False)  # the caller shows a spinner in the person's language
def _sliced(run_path: str, frame: pd.DataFrame, metrics: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The judged predictions with the data file's extra columns, and their slice table (the file is read once)."""
    from tuneboard.data import judge, slice_table, with_data_columns
    from tuneboard.runs import open_run

    judged = with_data_columns(judge(frame, metrics), open_run(run_path).config())
    return judged, slice_table(judged)


def slices(run: Any, metrics: dict[str, Any], frame: pd.DataFrame) -> None:
    """Accuracy per slice (extra columns, text length, script), worst first; a click lists that slice's mistakes."""
    from tuneboard.data import by_name, slice_rows, value_name

    if "correct" not in frame:
        return
    with st.spinner(t("insights.slicing")):
        judged, table = _sliced(str(run.path), frame, metrics)
    st.subheader(t("insights.slices_title"))
    if table.empty:
        st.caption(t("insights.slices_none"))
        return
    st.caption(t("insights.slices_caption"))
    view = table.drop(columns="below_overall").assign(
        by=[by_name(b) for b in table["by"]], value=[value_name(b, v) for b, v in zip(table["by"], table["value"],
                                                                                     strict=True)])

    def percent(label: str) -> Any:
        return percent_column(label, width="small")

    view = as_percent(view, ("accuracy", "low", "high", "macro_f1"))
    picked = show_table(view, hide_index=True, on_select="rerun", selection_mode="single-row",
                          key="insights_slice_pick", column_config={
                              "by": t("insights.slice_by"), "value": t("insights.value"), "rows": t("insights.rows"),
                              "errors": t("insights.mistakes"),
                              "accuracy": percent_column(t("insights.accuracy"), progress=True),
                              "low": percent(t("insights.low")), "high": percent(t("insights.high")),
                              "macro_f1": percent("Macro-F1")})
    chosen = picked.selection.rows if picked and picked.selection else []
    if chosen:
        row = table.iloc[chosen[0]]
        part = slice_rows(judged, row["by"], row["value"])
        wrong = part[~part["correct"]]
        st.markdown(t("insights.slice_mistakes", wrong=len(wrong), rows=len(part)))
        # user data: shown as plain text, never as markdown
        st.caption(plain(f"{by_name(row['by'])} = {value_name(row['by'], row['value'])}"))
        cols = [c for c in ("text", "label", "predicted", "confidence") if c in wrong]
        shown = as_percent(wrong[cols].sort_values("confidence", ascending=False), ("confidence",))
        show_table(shown, hide_index=True, column_config={
            "text": st.column_config.TextColumn(t("mistakes.text"), width="large"), "label": t("mistakes.true_label"),
            "predicted": t("mistakes.predicted"),
            "confidence": percent_column(t("mistakes.confidence"), progress=True)})


@st.cache_data(max_entries=4, show_spinner=False)  # the caller shows a spinner in the person's language
def _suspects(run_path: str, config: dict[str, Any], stamp: float) -> pd.DataFrame:
    from tuneboard.config import TrainConfig
    from tuneboard.evaluate import suspects_in_run_data

    return suspects_in_run_data(TrainConfig.from_dict(config))


def mislabels(run: Any, metrics: dict[str, Any]) -> None:
    """Rows whose label is probably wrong (whole dataset), fixed through the mistakes table's corrections."""
    from tuneboard.errors import TuneboardError

    if metrics.get("task") != "single_label":
        return
    st.subheader(t("insights.mislabels_title"))
    key = f"insights_suspects_{run.run_id}"
    if not st.session_state.get(key):
        st.caption(t("insights.mislabels_caption"))
        if st.button(t("insights.mislabels_find"), key="insights_find_mislabels", icon=":material/search:"):
            st.session_state[key] = True
            st.rerun()
        return
    cfg = run.config()
    try:
        with st.spinner(t("insights.cross_checking")):
            found = _suspects(str(run.path), cfg.to_dict(), cache.model_stamp(str(run.path)))
    except TuneboardError as e:
        show_error(e)
        return
    if found.empty:
        st.success(t("insights.mislabels_none"))
        return
    st.warning(t("insights.mislabels_found", count=len(found)))
    _review(run, found, [str(n) for n in metrics.get("labels") or []])


def _review(run: Any, found: pd.DataFrame, labels: list[str]) -> None:
    """The flagged rows in an editor whose fixes land in the same corrections as the mistakes table."""
    edits = st.session_state.setdefault("_corrections", {}).setdefault(run.run_id, {})
    view = found[["text", "label", "suggested", "label_quality"]].reset_index(drop=True)
    view["new_label"] = [edits.get(t) for t in view["text"]]
    view["exclude"] = [t in edits and edits[t] is None for t in view["text"]]
    table = edit_table(view, hide_index=True, key=f"insights_mislabel_editor_{run.run_id}",
                           disabled=["text", "label", "suggested", "label_quality"],
                           height=min(380, 38 + 35 * len(view)), column_config={
                               "text": st.column_config.TextColumn(t("mistakes.text"), width="large"),
                               "label": t("insights.label_now"), "suggested": t("insights.likely_label"),
                               "label_quality": st.column_config.ProgressColumn(
                                   t("insights.label_quality"), min_value=0, max_value=1, format="%.2f",
                                   help=t("insights.label_quality_help")),
                               "new_label": st.column_config.SelectboxColumn(t("mistakes.new_label"), options=labels),
                               "exclude": st.column_config.CheckboxColumn(t("mistakes.exclude"))})
    for row in table.itertuples(index=False):
        if row.exclude:
            edits[row.text] = None
        elif isinstance(row.new_label, str) and row.new_label.strip() and row.new_label != row.label:
            edits[row.text] = row.new_label.strip()
        else:
            edits.pop(row.text, None)


def report_button(run: Any) -> None:
    """Build the stakeholder report of this run as the current user may read it, then offer it as a download.
    It is kept in this session only: nothing is written into the run's folder (it may be someone else's)."""
    from tuneboard.errors import TuneboardError
    from tuneboard.evaluate import report_for
    from tuneboard.i18n import language

    build, download = st.columns([1, 3], vertical_alignment="center")
    if build.button(t("insights.report"), key="insights_build_report", icon=":material/summarize:",
                    help=t("insights.report_help")):
        try:
            with st.spinner(t("insights.report_writing")):
                page = report_for(run.path, auth.current_user())
            st.session_state["_report"] = {"run": run.run_id, "lang": language(), "html": page.encode("utf-8")}
        except TuneboardError as e:
            show_error(e)
    done = st.session_state.get("_report")
    if done and done["run"] == run.run_id and done.get("lang") == language():  # not last language's report
        download.download_button(t("insights.report_download"), done["html"], file_name=f"{run.run_id}-report.html",
                                 mime="text/html", key="insights_report_download", type="primary",
                                 icon=":material/download:", on_click="ignore")
