"""Data: pick a table, say which columns hold the text and the label, check it before training."""
import streamlit as st

from components import cache, classes, llmlabels, nav, sources, state, trainform
from components.tables import show_table
from components.widgets import headline, plain, show_error
from tuneboard.errors import TuneboardError
from tuneboard.i18n import t

TASKS = {
    "single_label": t("data.task.single_label"),
    "multi_label": t("data.task.multi_label"),
    "regression": t("data.task.regression"),
}

st.title(t("nav.data"))
nav.caption(nav.DATA, t("data.caption"))

sources.source_picker()
ds = state.dataset()
try:
    df, info = cache.read(ds.path, ds.sha)
except TuneboardError as e:
    show_error(e)
    st.stop()

origin = t("data.origin_example") if ds.example else t("data.origin_upload")
st.markdown(f"**{plain(ds.name)}** ({origin}) · " + t("data.shape", rows=f"{len(df):,}", columns=len(df.columns))
            + f" · {info.format.upper()}{' · ' + info.encoding if info.encoding else ''}")
with st.expander(t("data.preview"), expanded=True):
    show_table(df.head(200), hide_index=True, height=260)

st.subheader(t("data.columns_mean"))
choice = sources.column_mapper(df, ds)
choice |= sources.validation_picker(ds)
ds = classes.remembered(ds.replace(**choice))  # with the names given to its label codes
trainform.use_dataset(ds)
llmlabels.data_panel(ds, df)

try:
    config = ds.to_config()
    prepared = cache.prepare(config)
except TuneboardError as e:
    show_error(e)
    st.stop()

st.subheader(t("data.check"))
dropped, dropped_name = sum(prepared.dropped.values()), t("data.rows_dropped")
headline({t("data.training_rows"): f"{len(prepared.train):,}", t("data.validation_rows"): f"{len(prepared.val):,}",
          t("data.classes"): f"{len(prepared.labels)}" if prepared.labels else "—",
          dropped_name: f"{dropped:,}"},
         help={dropped_name: t("data.rows_dropped_help")})
st.markdown(t("data.task", task=TASKS.get(prepared.task, prepared.task)))
classes.dataset_editor(ds, prepared.labels, prepared.task, bool(prepared.label_columns))
tokens = sources.token_checks(config)
chart, notes = st.columns([3, 2], gap="large")
with chart:
    sources.balance_chart(prepared)
with notes:
    sources.findings_panel(config, prepared, extra=tokens["findings"])
st.subheader(t("data.length_in_tokens"))
sources.token_chart(tokens)
if st.button(t("data.next"), type="primary", icon=":material/arrow_forward:", key="data_to_train"):
    nav.go(nav.TRAIN)
