"""Deploy: serve a run as a prediction API from here, copy a call, and see which format to ship."""
import streamlit as st

from components import servecharts
from components.auth import allowed_run, current_user
from components.widgets import headline, run_picker
from tuneboard import deploy
from tuneboard.errors import TuneboardError
from tuneboard.footprint import compare_formats

st.title("Deploy")
st.caption("Put the model behind an API your product calls, in the Hugging Face inference format.")

summary = run_picker()
run_id = summary["run_id"]
current = deploy.get_deployment(run_id)
may_deploy = allowed_run("deploy", run_id)  # starting or stopping an API is the run owner's (or an admin's) call


def failed(e: TuneboardError) -> None:
    """The error's title, then its message as plain text: messages name runs and files (user data)."""
    st.error(e.title, icon=":material/error:")
    st.text(str(e))


@st.fragment(run_every=2 if current is not None else None)
def status() -> None:
    dep = deploy.get_deployment(run_id)
    if dep is None:
        st.info("Not deployed. Pick a format and press **Start the API**.")
        return
    alive = deploy.health(dep, timeout=0.5)
    headline({"Status": "serving" if alive else "starting…", "Backend": dep.backend,
              "Predictions": f"{alive['rows']:,}" if alive else "-"})
    with st.container(key="deploy_url"):  # a code box, not a metric: the address is too long for one
        st.code(dep.url, language=None)
    if alive is None:
        st.caption("Loading the model (a first ONNX start also exports it). The server's last lines:")
        st.code(deploy.log_tail(dep) or "(nothing yet)", language=None)


with st.container(border=True):
    left, right = st.columns(2)
    backend = left.radio("Format", ["torch", "onnx", "onnx-int8"], horizontal=True, key="deploy_backend",
                         disabled=current is not None or not may_deploy,
                         help="onnx-int8 is the smallest and fastest on a CPU; the table below measures it.")
    store = right.checkbox("Store served texts (for labeling on the Monitor page)", key="deploy_store_texts",
                           disabled=current is not None or not may_deploy,
                           help="Off: only a hash and the length of each text are kept.")
    if may_deploy:
        start_col, stop_col = st.columns(2)
        if start_col.button("Start the API", key="deploy_start", type="primary", disabled=current is not None,
                            icon=":material/play_arrow:"):
            try:
                deploy.start_deployment(summary["path"], backend=backend, store_texts=store, user=current_user())
                st.rerun()
            except TuneboardError as e:
                failed(e)
        if stop_col.button("Stop the API", key="deploy_stop", disabled=current is None, icon=":material/stop:"):
            try:
                deploy.stop_deployment(run_id, user=current_user())
                st.rerun()
            except TuneboardError as e:
                failed(e)
    else:
        st.caption("Only the run's owner or an admin can start or stop its API.")
    status()

url = current.url if current else "http://127.0.0.1:8100"
st.subheader("Call it")
calls = deploy.snippets(url)
for tab, (name, code) in zip(st.tabs(list(calls)), calls.items(), strict=True):
    tab.code(code, language="bash" if name == "curl" else "python")
st.caption("Also: GET /health, GET /info (labels, task, threshold, validation scores), interactive docs at /docs.")

st.subheader("Which format to ship")
st.caption("Each format measured on this machine: size, one-text latency, batch speed, validation accuracy.")
if not allowed_run("export", run_id):
    st.caption("Only the run's owner or an admin can export and measure its formats.")
elif st.button("Measure the formats", key="deploy_measure", icon=":material/speed:"):
    try:
        with st.spinner("Exporting and timing each format…"):
            st.session_state["deploy_formats"] = {"run": run_id, **compare_formats(summary["path"])}
    except TuneboardError as e:
        failed(e)
measured = st.session_state.get("deploy_formats")
if measured and measured.get("run") == run_id:
    st.dataframe(servecharts.formats_table(measured["rows"]), hide_index=True)
    st.success(measured["recommendation"], icon=":material/recommend:")
