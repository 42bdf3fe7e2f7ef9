"""Data: pick a table, say which columns hold the text and the label, check it before training."""
import streamlit as st

from components import cache, nav, sources, state, trainform
from components.widgets import headline, plain, show_error
from tuneboard.errors import TuneboardError

TASKS = {
    "single_label": "One label per text",
    "multi_label": "Several tags per text",
    "regression": "A number per text",
}

st.title("Data")
st.caption("Step 1 of 5 · Choose the labeled table the model learns from.")

sources.source_picker()
ds = state.dataset()
try:
    df, info = cache.read(ds.path, ds.sha)
except TuneboardError as e:
    show_error(e)
    st.stop()

origin = "example" if ds.example else "uploaded file"
st.markdown(f"**{plain(ds.name)}** ({origin}) · {len(df):,} rows · {len(df.columns)} columns · "
            f"{info.format.upper()}{' · ' + info.encoding if info.encoding else ''}")
with st.expander("Preview the first rows", expanded=True):
    st.dataframe(df.head(200), hide_index=True, height=260)

st.subheader("What each column means")
choice = sources.column_mapper(df, ds)
choice |= sources.validation_picker(ds)
ds = ds.replace(**choice)
trainform.use_dataset(ds)

try:
    config = ds.to_config()
    prepared = cache.prepare(config)
except TuneboardError as e:
    show_error(e)
    st.stop()

st.subheader("Check")
dropped = sum(prepared.dropped.values())
headline({"Training rows": f"{len(prepared.train):,}", "Validation rows": f"{len(prepared.val):,}",
          "Classes": f"{len(prepared.labels)}" if prepared.labels else "—",
          "Rows dropped": f"{dropped:,}"},
         help={"Rows dropped": "Rows with an empty text or label are left out."})
st.markdown(f"**Task:** {TASKS.get(prepared.task, prepared.task)} (detected from the label column).")
tokens = sources.token_checks(config)
chart, notes = st.columns([3, 2], gap="large")
with chart:
    sources.balance_chart(prepared)
with notes:
    sources.findings_panel(config, prepared, extra=tokens["findings"])
st.subheader("Length in tokens")
sources.token_chart(tokens)
if st.button("Next: train a model", type="primary", icon=":material/arrow_forward:", key="data_to_train"):
    nav.go(nav.TRAIN)
