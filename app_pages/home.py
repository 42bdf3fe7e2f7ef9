"""Home: what Tuneboard is, the five steps, the models and data at hand, this machine."""
import streamlit as st

from components import nav, state
from tuneboard.catalog import list_local_models
from tuneboard.runs import list_runs

STEPS = [
    (
        nav.DATA,
        "1 · Data",
        ":material/table_chart:",
        "Upload a table (CSV, Excel, JSON) or use the demo. Pick the text and label columns.",
    ),
    (
        nav.TRAIN,
        "2 · Train",
        ":material/rocket_launch:",
        "Pick a model and a preset, press Start, and watch the curves live.",
    ),
    (nav.RUNS, "3 · Runs", ":material/history:", "Every run is kept on disk: compare, reopen or delete them."),
    (
        nav.EVALUATE,
        "4 · Evaluate",
        ":material/fact_check:",
        "Accuracy, per-class scores, confusion matrix and the mistakes.",
    ),
    (
        nav.PREDICT,
        "5 · Predict",
        ":material/bolt:",
        "Type text or upload a file to get labels, then export the model as a zip.",
    ),
]


def device_box() -> None:
    """Polls every second while the device probe runs, then reruns the page once so polling stops."""
    dev = state.device()
    if dev is None:
        st.markdown("Detecting the device…")
        st.session_state["_home_waiting_device"] = True
    elif st.session_state.pop("_home_waiting_device", False):
        st.rerun()
    else:
        gpu = f"{dev['total_gb']:.0f} GB GPU memory" if dev["type"] == "cuda" else "no GPU: training runs on the CPU"
        st.markdown(f"**{dev['name']}**  \n{gpu}")


st.title("Tuneboard")
st.markdown("#### Teach a pretrained language model **your team's categories**, on your own machine, in minutes.")
st.write("Bring a table of texts with labels (support tickets, reviews, feedback). Tuneboard fine-tunes a "
         "transformer on it, shows the training live, and gives you a model you can test and keep. "
         "Nothing leaves this computer.")
if st.button("Start with the demo data", type="primary", icon=":material/arrow_forward:"):
    nav.go(nav.DATA)

st.divider()
for col, (page, title, icon, text) in zip(st.columns(len(STEPS)), STEPS, strict=False):
    with col.container(border=True, height="stretch"):
        st.page_link(nav.page(page), label=f"**{title}**", icon=icon)
        st.caption(text)

st.divider()
models, data, machine = st.columns([1.1, 1.2, 1])
with models:
    st.subheader("Models")
    st.markdown("**all-MiniLM-L6-v2** (bundled, default)  \n22 M parameters, 6 layers: quick on a CPU, "
                "strongest on English text.")
    local = list_local_models()
    if local:
        st.markdown("**On this machine**  \n" + "  \n".join(f"`{m.name}`" for m in local[:6]))
    st.caption("Any Hugging Face model folder can be typed in on the Train page.")
with data:
    st.subheader("Demo data")
    for name, (title, text) in state.EXAMPLE_FILES.items():
        st.markdown(f"**{title}** · `{name}`  \n{text}")


with machine:
    st.subheader("This machine")
    st.fragment(run_every=1.0 if state.device() is None else None)(device_box)()
    runs = list_runs()
    st.metric("Runs so far", len(runs))
    if runs:
        st.page_link(nav.page(nav.RUNS), label="See all runs", icon=":material/history:")
