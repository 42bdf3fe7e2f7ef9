"""The Label page's tools for many texts at once: the review grid of model guesses, search and label, agreement
between people (kappa, conflicts the owner settles), and "Train on these labels" (a normal run through the queue)."""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
import streamlit as st

from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.protocol import BASELINE_MODEL

from . import auth, state, trainform
from .labeling import REVIEW_ROWS, SEARCH_SHOWN, Table, store_of, suggestions
from .tables import edit_table, show_table
from .widgets import plain, show_error


# -- review grid ----------------------------------------------------------------------------------
def review_grid(table: Table, labels: dict[int, str], classes: Sequence[Any]) -> None:
    """Model guesses for many rows, filtered by guessed class and confidence; accept or fix them, then save."""
    names = {c.code: c.name for c in classes}
    cached = st.session_state.get("_label_review")
    if not cached or cached["key"] != (table.sha, len(labels)):
        with st.spinner(t("label.guessing")):
            picks = suggestions(table, labels, classes, REVIEW_ROWS)
        cached = st.session_state["_label_review"] = {"key": (table.sha, len(labels)), "picks": picks}
    picks = cached["picks"]
    left, right = st.columns(2)
    chosen = left.multiselect(t("label.filter_class"), list(names), format_func=names.get, key="label_review_class")
    floor = right.slider(t("label.filter_confidence"), 0, 100, 0, step=5, format="%d%%", key="label_review_floor")
    shown = [p for p in picks if (not chosen or p.guess in chosen)
             and (floor == 0 or (p.confidence is not None and p.confidence * 100 >= floor))]
    if not shown:
        st.info(t("label.review_empty"))
        return
    frame = pd.DataFrame({
        "row": [p.row + 1 for p in shown], "text": [table.texts[p.row] for p in shown],
        "guess": [names.get(p.guess, "") for p in shown],
        "confidence": [p.confidence if p.confidence is not None else None for p in shown],
        "label": [names.get(p.guess) for p in shown]})
    edited = edit_table(frame, hide_index=True, use_container_width=True, key=f"label_grid_{len(labels)}",
                        disabled=["row", "text", "guess", "confidence"], column_config={
                            "row": st.column_config.NumberColumn(t("label.col_row"), width="small"),
                            "text": st.column_config.TextColumn(t("label.col_text"), width="large"),
                            "guess": st.column_config.TextColumn(t("label.col_guess")),
                            "confidence": st.column_config.ProgressColumn(t("label.col_confidence"), min_value=0,
                                                                          max_value=1, format="percent"),
                            "label": st.column_config.SelectboxColumn(t("label.col_label"),
                                                                      options=list(names.values()))})
    chosen_rows = edited[edited["label"].notna() & (edited["label"] != "")]
    if st.button(t("label.save_review", count=len(chosen_rows)), key="label_review_save", type="primary",
                 disabled=chosen_rows.empty, icon=":material/done_all:"):
        code = {c.name: c.code for c in classes}
        accepted = [(int(r.row) - 1, code[r.label]) for r in chosen_rows.itertuples() if r.label == r.guess]
        fixed = [(int(r.row) - 1, code[r.label]) for r in chosen_rows.itertuples() if r.label != r.guess]
        _save(table, [(accepted, "suggestion"), (fixed, "person")], t("label.saved_review", count=len(chosen_rows)))


# -- search ---------------------------------------------------------------------------------------
def search(table: Table, labels: dict[int, str], classes: Sequence[Any]) -> None:
    """Every unlabeled text that contains the query, and one button to give them all one class."""
    query = st.text_input(t("label.search"), key="label_query", placeholder=t("label.search_placeholder"))
    if not query.strip():
        return
    needle = query.strip().casefold()
    rows = [i for i, text in enumerate(table.texts) if i not in labels and needle in text.casefold()]
    st.caption(t("label.matches", count=f"{len(rows):,}"))
    if not rows:
        return
    show_table(pd.DataFrame({t("label.col_row"): [r + 1 for r in rows[:SEARCH_SHOWN]],
                             t("label.col_text"): [table.texts[r] for r in rows[:SEARCH_SHOWN]]}), hide_index=True)
    names = {c.code: c.name for c in classes}
    code = st.selectbox(t("label.search_class"), list(names), format_func=names.get, key="label_search_class")
    if st.button(t("label.search_apply", count=f"{len(rows):,}", name=plain(names[code])), key="label_search_apply",
                 type="primary", icon=":material/label:"):
        _save(table, [([(r, code) for r in rows], "person")], t("label.saved_search", count=f"{len(rows):,}"),
              note=query.strip())


def _save(table: Table, groups: list[tuple[list[tuple[int, str]], str]], done: str, note: str = "") -> None:
    store = store_of(table)
    try:
        for items, source in groups:
            store.record_many(items, user=auth.current_user(), source=source, note=note)
    except TuneboardError as e:
        show_error(e)
        return
    st.session_state["_label_done"] = done
    st.rerun()


def saved_notice() -> None:
    if st.session_state.get("_label_done"):
        st.success(st.session_state.pop("_label_done"), icon=":material/check:")


# -- agreement ------------------------------------------------------------------------------------
def agreement(table: Table, classes: Sequence[Any]) -> None:
    """Cohen's kappa between the two people who labeled the most rows in common, and the conflicts to settle."""
    from tuneboard.labeling import conflicts, kappa

    store = store_of(table)
    people = store.by_user()
    if len(people) < 2:
        st.info(t("label.one_labeler"))
        return
    score = kappa(store)
    st.metric(t("label.kappa"), "—" if score is None else f"{score:.2f}", help=t("label.kappa_help"))
    found = conflicts(store)
    st.caption(t("label.conflicts", count=len(found)))
    if not found:
        return
    names = {c.code: c.name for c in classes}
    frame = pd.DataFrame([{t("label.col_row"): c.row + 1, t("label.col_text"): table.texts[c.row],
                           t("label.col_labels"): "; ".join(f"{u}: {names.get(v, v)}" for u, v in c.labels.items())}
                          for c in found[:50]])
    show_table(frame, hide_index=True)
    if not store.may_settle(auth.current_user()):
        st.caption(t("label.owner_settles"))
        return
    left, mid, right = st.columns([1, 2, 1], vertical_alignment="bottom")
    row = left.selectbox(t("label.col_row"), [c.row for c in found[:50]], format_func=lambda r: str(r + 1),
                         key="label_settle_row")
    code = mid.selectbox(t("label.settle_as"), list(names), format_func=names.get, key="label_settle_class")
    if right.button(t("label.settle"), key="label_settle", icon=":material/gavel:"):
        try:
            store.settle(row, code, auth.current_user())
        except TuneboardError as e:
            show_error(e)
            return
        st.session_state["_label_done"] = t("label.settled")
        st.rerun()


# -- train ----------------------------------------------------------------------------------------
def train_section(ds: state.Dataset, table: Table, classes: Sequence[Any]) -> bool:
    """A model to train and "Train on these labels": writes the training table and queues a normal run.
    Returns True when a run was queued (the page then shows it on Train)."""
    chosen, _ = trainform.chosen_model()
    options = list(dict.fromkeys([chosen, BASELINE_MODEL]))
    shown = {BASELINE_MODEL: t("train.model_baseline"), "default": t("train.model_default")}
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    model = left.selectbox(t("label.train_model"), options, format_func=lambda m: shown.get(m, m),
                           key="label_train_model", help=t("label.train_model_help"))
    if not right.button(t("label.train"), key="label_train", type="primary", icon=":material/rocket_launch:",
                        use_container_width=True):
        return False
    from tuneboard.labeling import training_table
    from tuneboard.model import resolve_model

    try:
        resolve_model(model or "default", allow_any_path=False)  # a browser may not train from any server folder
        df = pd.DataFrame({"text": table.texts, "own": [table.own.get(i, "") for i in range(len(table.texts))]})
        path = training_table(store_of(table), df, "text", label_column="own")
        data = state.Dataset(path=str(path), name=path.name, example=False, text_column="text", label_column="label",
                             classes=tuple(c.class_name() for c in classes), val_size=ds.val_size)
        live = state.registry().submit(data.to_config(model=model or "default"), user=auth.current_user())
    except TuneboardError as e:
        show_error(e)
        return False
    state.select_run(live.run_id)
    return True
