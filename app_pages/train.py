"""Train: pick a model and a preset, start a run, and watch it live (it keeps going if you leave)."""
import streamlit as st

from components import cache, modelhelp, nav, search, state, trainform
from components.live import live_panel, run_feed
from components.widgets import plain
from tuneboard.i18n import t
from tuneboard.protocol import ACTIVE

st.title(t("nav.train"))
nav.caption(nav.TRAIN, t("train.caption"))

run_id = state.selected_run_id()
feed = run_feed(run_id) if run_id else None
running = feed is not None and feed["status"] in ACTIVE
if running:  # the live run first: that is what people are here to watch; the form folds away below it
    live_panel(run_id)
form = st.expander(t("train.queue_another"), icon=":material/add_circle:") if running else st.container()

with form:
    ds = state.dataset()
    text_col, label_col = (ds.text_column, ds.label_column) if ds.text_column else cache.detect(ds.path, ds.sha)
    columns = t("train.columns", text=plain(repr(text_col)), label=plain(repr(label_col)))
    data_line, change = st.columns([4, 1], vertical_alignment="center")
    data_line.markdown(t("train.data_line", name=plain(ds.name), columns=columns))
    change.page_link(nav.page(nav.DATA), label=t("train.change_data"), icon=":material/table_chart:")

    settings_col, model_col = st.columns([3, 2], gap="large")
    with settings_col:
        choice, script = modelhelp.preselect()  # a model that reads the data's language, unless one was chosen
        source = trainform.model_picker(extra=modelhelp.hub_options(script))
        modelhelp.reason(choice)
        trainform.method_picker(source)
        settings = trainform.training_settings()
    with model_col:
        trainform.model_summary(source, settings)
        modelhelp.hub_models(script)
        modelhelp.import_section()

    label = t("train.queue") if state.registry().active() else t("train.start")
    st.button(label, key="start_training", type="primary", icon=":material/rocket_launch:",
              on_click=trainform.start_run)
    if st.session_state.get("_start_error"):
        st.error(st.session_state["_start_error"])
search.search_section()

if feed is not None and not running:
    st.divider()
    live_panel(run_id)
