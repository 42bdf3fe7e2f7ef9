"""Models: named models and their versions -- promote a finished run to a name, point production and the
candidate at versions, roll back, and read who did what when."""
import streamlit as st

from components import registryview
from components.widgets import plain
from tuneboard.i18n import t
from tuneboard.protocol import HAS_MODEL
from tuneboard.runs import list_runs

st.title(t("nav.models"))
st.caption(t("registry.ui.caption"))
registryview.done_notice()

finished = [s for s in (r.summary() for r in list_runs()) if s["status"] in HAS_MODEL]
if finished:
    registryview.promote_form(finished)
else:
    st.info(t("registry.ui.no_runs"))

model = registryview.pick_model("models_pick")
if model is None:
    st.stop()
st.caption(t("registry.ui.owner", owner=plain(model.owner)))
with st.container(key="models_versions"):
    registryview.versions_table(model)
if registryview.may_change(model):
    registryview.alias_controls(model)
else:
    st.caption(t("registry.ui.owner_only"))
st.subheader(t("registry.ui.history"))
with st.container(key="models_history"):
    registryview.history_table(model.name)
