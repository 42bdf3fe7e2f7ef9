"""Naming classes: the editor on Data (codes → names for new runs), the rename form on Evaluate (a trained
run's classes, without training again), and the descriptions Predict shows. The engine does the work
(``tuneboard.classnames``, ``tuneboard.lifecycle.classes``); a person's strings are only ever shown escaped."""
from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from tuneboard.classnames import Classes, ClassName, codes_of, described, looks_like_codes
from tuneboard.data import load_names, save_names
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t

from . import auth
from .state import Dataset
from .widgets import plain, show_error

MAX_ROWS = 50  # more classes than this are not codes a person names in a form


def remembered(ds: Dataset) -> Dataset:
    """``ds`` with the names its person gave the codes of its label column (none: as it is)."""
    return ds.replace(classes=load_names(auth.current_user().id, ds.path, ds.label_column))


def dataset_editor(ds: Dataset, labels: list[str], task: str, multi_columns: bool) -> None:
    """On Data: a name and a description per code, shown when the labels look like codes (or were named)."""
    codes = codes_of(labels, ds.classes)
    if task == "regression" or multi_columns or len(codes) > MAX_ROWS or not (ds.classes or looks_like_codes(codes)):
        return
    st.subheader(t("classes.data_title"))
    st.caption(t("classes.data_caption"))
    saved = {c.code: c for c in ds.classes}
    scope = hashlib.sha1(f"{ds.path}\0{ds.label_column}".encode()).hexdigest()[:8]  # new table: new boxes
    # No "Press Enter to submit form" hint: it covers what is typed in a narrow box; Save sends the form.
    with st.form(f"data_classes_{scope}", border=True, enter_to_submit=False):
        rows = _rows(codes, saved, f"data_class_{scope}")
        pressed = st.form_submit_button(t("classes.save"), type="primary", icon=":material/save:")
    if pressed:
        try:
            save_names(auth.current_user().id, ds.path, ds.label_column, rows, codes)
        except TuneboardError as e:
            show_error(e)
            return
        st.session_state["_classes_saved"] = True
        st.rerun()  # the check above and the Train page read the names from now on
    if st.session_state.pop("_classes_saved", False):
        st.success(t("classes.saved"), icon=":material/check:")


def run_editor(run: Any, classes: list[ClassName]) -> None:
    """On Evaluate: rename a trained run's classes (its owner or an admin), no retraining."""
    if not classes or not auth.allowed("rename_classes", run.path):
        return
    from tuneboard.lifecycle import rename_classes

    with st.expander(t("classes.run_title"), expanded=bool(st.session_state.get("_classes_renamed"))):
        st.caption(t("classes.run_caption"))
        with st.form(f"eval_classes_{run.run_id}", border=False, enter_to_submit=False):
            rows = _rows([c.code for c in classes], {c.code: c for c in classes}, f"eval_class_{run.run_id}")
            pressed = st.form_submit_button(t("classes.rename"), type="primary", icon=":material/edit:")
        if pressed:
            try:
                result = rename_classes(run.path, rows, user=auth.current_user())
            except TuneboardError as e:
                show_error(e)
                return
            st.session_state["_classes_renamed"] = {"run": run.run_id, "deployed": result.deployed}
            st.rerun()
        done = st.session_state.get("_classes_renamed")
        if done and done.get("run") == run.run_id:
            st.success(t("classes.renamed"), icon=":material/check:")
            if done.get("deployed"):
                st.warning(t("classes.restart_deployment"))


def descriptions(run_path: str) -> dict[str, str]:
    """``{class name: description}`` of a run (empty when none were given or its config is unreadable)."""
    from tuneboard.runs import open_run

    try:
        return described(open_run(run_path).config().classes)
    except Exception:  # a run from before names, or a torn config: no descriptions to show
        return {}


def describe(label: Any, known: dict[str, str]) -> None:
    """The description of the predicted class (several for a multi-label answer), as plain text."""
    names = label if isinstance(label, list) else [label]
    lines = [f"**{plain(n)}**: {plain(known[n])}" for n in names if isinstance(n, str) and n in known]
    if lines:
        st.markdown("  \n".join(lines))


def _rows(codes: list[str], saved: dict[str, ClassName], prefix: str) -> Classes:
    """One line per code: the code, a name box and a description box; returns what they hold."""
    head = st.columns([1, 2, 4])
    for col, key in zip(head, ("classes.code", "classes.name", "classes.description"), strict=True):
        col.markdown(f"**{t(key)}**")
    rows = []
    for i, code in enumerate(codes):
        known = saved.get(code)
        left, mid, right = st.columns([1, 2, 4], vertical_alignment="center")
        left.markdown(plain(code))
        name = mid.text_input(t("classes.name_for", code=plain(code)), value=known.name if known else "",
                              key=f"{prefix}_name_{i}", label_visibility="collapsed",
                              placeholder=t("classes.name_placeholder"))
        text = right.text_input(t("classes.description_for", code=plain(code)),
                                value=known.description if known else "",
                                key=f"{prefix}_text_{i}", label_visibility="collapsed",
                                placeholder=t("classes.description_placeholder"))
        rows.append(ClassName(code, name.strip() or code, text))
    return tuple(rows)
