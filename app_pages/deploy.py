"""Deploy: serve a run as a prediction API from here, copy a call, and see which format to ship."""
import streamlit as st

from components import lang, registryview, servecharts, state
from components.auth import allowed_run, current_user
from components.tables import show_table
from components.widgets import headline, run_picker
from tuneboard.errors import TuneboardError
from tuneboard.evaluate import compare_formats
from tuneboard.i18n import t
from tuneboard.serve import deploy

st.title(t("deploy.title"))
st.caption(t("deploy.caption"))
if st.toggle(t("registry.ui.serve_by_name"), help=t("registry.ui.serve_by_name_help"),
             **state.sticky("deploy_by_name", False)):  # kept when the person comes back from another page
    registryview.deploy_named()  # the production version of a name, swapped in place when it moves
    st.stop()

summary = run_picker()
run_id = summary["run_id"]
current = deploy.get_deployment(run_id)
may_deploy = allowed_run("deploy", run_id)  # starting or stopping an API is the run owner's (or an admin's) call


def failed(e: TuneboardError) -> None:
    """The error's title, then its message as plain text: messages name runs and files (user data)."""
    st.error(e.title, icon=":material/error:")
    st.text(str(e))


@st.fragment(run_every=2 if current is not None else None)
@lang.localized
def status() -> None:
    dep = deploy.get_deployment(run_id)
    if dep is None:
        st.info(t("deploy.not_deployed"))
        return
    alive = deploy.health(dep, timeout=0.5)
    rows = f"{alive['rows']:,}" if alive and "rows" in alive else "-"  # a keyed server tells key holders only
    headline({t("deploy.status"): t("deploy.serving") if alive else t("deploy.starting"),
              t("deploy.backend"): dep.backend, t("deploy.predictions"): rows})
    with st.container(key="deploy_url"):  # a code box, not a metric: the address is too long for one
        st.code(dep.url, language=None)
    if alive is None:
        st.caption(t("deploy.loading"))
        st.code(deploy.log_tail(dep) or t("deploy.nothing_yet"), language=None)


with st.container(border=True):
    left, right = st.columns(2)
    backend = left.radio(t("deploy.format"), ["torch", "onnx", "onnx-int8"], horizontal=True, key="deploy_backend",
                         disabled=current is not None or not may_deploy,
                         help=t("deploy.format_help"))
    store = right.checkbox(t("deploy.store_texts"), key="deploy_store_texts",
                           disabled=current is not None or not may_deploy,
                           help=t("deploy.store_texts_help"))
    if may_deploy:
        start_col, stop_col = st.columns(2)
        if start_col.button(t("deploy.start"), key="deploy_start", type="primary", disabled=current is not None,
                            icon=":material/play_arrow:"):
            try:
                deploy.start_deployment(summary["path"], backend=backend, store_texts=store, user=current_user())
                st.rerun()
            except TuneboardError as e:
                failed(e)
        if stop_col.button(t("deploy.stop"), key="deploy_stop", disabled=current is None, icon=":material/stop:"):
            try:
                deploy.stop_deployment(run_id, user=current_user())
                st.rerun()
            except TuneboardError as e:
                failed(e)
    else:
        st.caption(t("deploy.owner_only"))
    status()

url = current.url if current else "http://127.0.0.1:8100"
st.subheader(t("deploy.call_it"))
calls = deploy.snippets(url)
for tab, (name, code) in zip(st.tabs(list(calls)), calls.items(), strict=True):
    tab.code(code, language="bash" if name == "curl" else "python")
    if name == "InferenceClient":  # huggingface_hub refuses every request, this API's too, in offline mode
        tab.caption(t("deploy.client_offline"))
st.caption(t("deploy.also"))

st.subheader(t("deploy.which_format"))
st.caption(t("deploy.which_format_caption"))
if not allowed_run("export", run_id):
    st.caption(t("deploy.export_owner_only"))
elif st.button(t("deploy.measure"), key="deploy_measure", icon=":material/speed:"):
    try:
        with st.spinner(t("deploy.measuring")):
            st.session_state["deploy_formats"] = {"run": run_id, **compare_formats(summary["path"])}
    except TuneboardError as e:
        failed(e)
measured = st.session_state.get("deploy_formats")
if measured and measured.get("run") == run_id:
    show_table(servecharts.formats_table(measured["rows"]), hide_index=True)
    st.success(measured["recommendation"], icon=":material/recommend:")
