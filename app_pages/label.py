"""Label: give the table's texts their classes, one key press at a time, or many at once; then train on them."""
import streamlit as st

from components import auth, labeling, labeltools, llmlabels, nav, state
from components.widgets import show_error
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t

st.title(t("nav.label"))
nav.caption("label", t("label.caption"))

ds = state.dataset()
if not ds.text_column or not (ds.unlabeled or ds.label_column):
    st.info(t("label.pick_data"))
    st.page_link(nav.page(nav.DATA), label=t("label.to_data"), icon=":material/table_chart:")
    st.stop()
try:
    table = labeling.table_of(ds)
    store = labeling.store_of(table)
    classes = labeling.classes_of(store, table)
except TuneboardError as e:
    show_error(e)
    st.stop()
if not classes:
    st.info(t("label.no_classes"))
    st.page_link(nav.page(nav.DATA), label=t("label.to_data"), icon=":material/table_chart:")
    st.stop()

labeltools.saved_notice()
mode = st.radio(t("label.mode"), labeling.MODES, horizontal=True, key="label_mode", label_visibility="collapsed",
                format_func=lambda m: t(f"label.mode.{m}"))
if mode == "one":
    labeling.labeling_loop(table, classes)  # a fragment: a key press reruns only it
else:
    labels = labeling.labels_of(store, table)  # read on every run: the store is the truth
    labeling.progress(classes, labels, len(table.texts))
    if mode == "review":
        labeltools.review_grid(table, labels, classes)
    elif mode == "search":
        labeltools.search(table, labels, classes)
    else:
        labeltools.agreement(table, classes)

# LLM pre-labels (off by default; on a team server only an admin may send texts to an LLM)
llmlabels.llm_panel(table.sha, table.texts, [c.class_name() for c in classes], auth.current_user(),
                    labels=labeling.labels_of(store, table), store=store, text_column=ds.text_column)

st.divider()
st.subheader(t("label.train_title"))
st.caption(t("label.train_caption"))
if labeltools.train_section(ds, table, classes):
    nav.go(nav.TRAIN)
