"""On Data: the label set of a table to be labeled (raw texts, or a label column with empty cells): a name, an
optional one-line description and a colour per class, saved in the table's label store for everyone labeling
it. A class keeps its code when renamed, so its labels stay; the names reach the runs trained on the labels."""
from __future__ import annotations

from typing import Any

import streamlit as st

from tuneboard.errors import TuneboardError
from tuneboard.i18n import t

from . import auth, nav, state
from .labeling import classes_of, labels_of, store_of, table_of
from .widgets import plain, show_error

BLANK_ROWS = 2  # empty lines under the classes: room for new ones
LABEL_PAGE = "label"


def editor(ds: state.Dataset) -> None:
    """The label set form (the table's owner or an admin may change it; others see it)."""
    from tuneboard.labeling import COLOURS

    table = table_of(ds)
    store = store_of(table)
    saved = store.classes()
    seed = classes_of(store, table)
    st.subheader(t("label.set_title"))
    st.caption(t("label.set_caption"))
    scope = table.sha[:8]
    with st.form(f"data_labelset_{scope}", border=True, enter_to_submit=False):
        head = st.columns([3, 5, 2])
        for col, key in zip(head, ("label.set_name", "label.set_description", "label.set_colour"), strict=True):
            col.markdown(f"**{t(key)}**")
        rows = []
        blanks = BLANK_ROWS if seed else 3
        for i in range(len(seed) + blanks):
            known = seed[i] if i < len(seed) else None
            name_col, text_col, colour_col = st.columns([3, 5, 2], vertical_alignment="center")
            name = name_col.text_input(t("label.set_name_of", n=i + 1), value=known.name if known else "",
                                       key=f"labelset_{scope}_name_{i}", label_visibility="collapsed",
                                       placeholder=t("label.set_name_placeholder"), max_chars=60)
            text = text_col.text_input(t("label.set_description_of", n=i + 1),
                                       value=known.description if known else "", key=f"labelset_{scope}_text_{i}",
                                       label_visibility="collapsed", max_chars=300,
                                       placeholder=t("label.set_description_placeholder"))
            colour = colour_col.selectbox(t("label.set_colour_of", n=i + 1), COLOURS,
                                          index=COLOURS.index(known.colour) if known else i % len(COLOURS),
                                          key=f"labelset_{scope}_colour_{i}", label_visibility="collapsed",
                                          format_func=lambda c: t(f"label.colour.{c}"))
            rows.append((known, name.strip(), text.strip(), colour))
        pressed = st.form_submit_button(t("label.set_save"), type="primary", icon=":material/save:")
    if pressed:
        try:
            saved = store.set_classes(_classes(rows), user=auth.current_user())
        except TuneboardError as e:
            show_error(e)
            return
        st.session_state["_labelset_saved"] = _rename_runs(store, saved)
        st.rerun()
    renamed = st.session_state.pop("_labelset_saved", None)
    if renamed is not None:
        st.success(t("label.set_saved") + (" " + t("label.set_runs_renamed", count=renamed) if renamed else ""),
                   icon=":material/check:")
    if saved:
        st.markdown(" · ".join(f":{c.colour}[●] {plain(c.name)}" for c in saved))


def _rename_runs(store: Any, classes: Any) -> int:
    """Give the runs already trained on these labels the new names (those this person may rename and that are
    not training): Evaluate, Predict, the report and the API then speak them. Returns how many were renamed."""
    from tuneboard.labeling import runs_on
    from tuneboard.lifecycle import rename_classes

    count, user = 0, auth.current_user()
    for run in runs_on(store):
        try:
            rename_classes(run.path, [c.class_name() for c in classes], user=user)
        except TuneboardError:  # another person's run, one still training, or a class it never saw
            continue
        count += 1
    return count


def _classes(rows: list[tuple[Any, str, str, str]]) -> list[Any]:
    """The classes the form holds: a known class keeps its code; a new name gets the next free number."""
    from tuneboard.labeling import LabelClass

    taken = {known.code for known, *_ in rows if known is not None}
    numbers = [int(c) for c in taken if c.isdigit()]
    next_code = max(numbers, default=0) + 1
    out = []
    for known, name, text, colour in rows:
        if not name:
            continue  # an emptied line removes its class (refused by the store if it has labels)
        if known is None:
            while str(next_code) in taken:
                next_code += 1
            code = str(next_code)
            taken.add(code)
        else:
            code = known.code
        out.append(LabelClass(code, name, text, colour))
    return out


def go_label(ds: state.Dataset) -> None:
    """The way on: how many texts wait for a label, and a button to the Label page."""
    table = table_of(ds)
    labels = labels_of(store_of(table), table)
    to_label = sum(1 for i, text in enumerate(table.texts) if text and i not in labels)
    st.info(t("label.to_label", count=f"{to_label:,}"), icon=":material/label:")
    if st.button(t("label.go"), type="primary", icon=":material/arrow_forward:", key="data_to_label"):
        nav.go(LABEL_PAGE)
