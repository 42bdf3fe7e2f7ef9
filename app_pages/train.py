"""Train: pick a model and a preset, start a run, and watch it live (it keeps going if you leave)."""
import streamlit as st

from components import cache, nav, search, state, trainform
from components.live import live_panel, run_feed
from components.widgets import plain
from tuneboard.protocol import ACTIVE

st.title("Train")
st.caption("Step 2 of 5 · Fine-tune a model on your data. Training runs on the server: you can leave this page, "
           "refresh, or share the link, and the run keeps going.")

run_id = state.selected_run_id()
feed = run_feed(run_id) if run_id else None
running = feed is not None and feed["status"] in ACTIVE
if running:  # the live run first: that is what people are here to watch
    live_panel(run_id)
    st.divider()
    st.subheader("Queue another run")

ds = state.dataset()
text_col, label_col = (ds.text_column, ds.label_column) if ds.text_column else cache.detect(ds.path, ds.sha)
columns = f"text {plain(repr(text_col))} → label {plain(repr(label_col))}"
data_line, change = st.columns([4, 1], vertical_alignment="center")
data_line.markdown(f"**Data:** {plain(ds.name)} · {columns}")
change.page_link(nav.page(nav.DATA), label="Change data", icon=":material/table_chart:")

settings_col, model_col = st.columns([3, 2], gap="large")
with settings_col:
    source = trainform.model_picker()
    settings = trainform.training_settings()
with model_col:
    trainform.model_summary(source, settings)

label = "Queue training" if state.registry().active() else "Start training"
st.button(label, key="start_training", type="primary", icon=":material/rocket_launch:", on_click=trainform.start_run)
if st.session_state.get("_start_error"):
    st.error(st.session_state["_start_error"])
search.search_section()

if feed is not None and not running:
    st.divider()
    live_panel(run_id)
