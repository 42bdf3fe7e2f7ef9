"""Home: what Tuneboard is, the five steps, the models and data at hand, this machine."""
import streamlit as st

from components import auth, lang, nav, state, widgets
from tuneboard.i18n import t
from tuneboard.model import list_local_models
from tuneboard.runs import list_runs

# The five steps: page, icon (title and text are the catalog's home.step.<page>.title / .text)
STEPS = [(nav.DATA, ":material/table_chart:"), (nav.TRAIN, ":material/rocket_launch:"),
         (nav.RUNS, ":material/history:"), (nav.EVALUATE, ":material/fact_check:"), (nav.PREDICT, ":material/bolt:")]
STEP_TEXTS = {  # literal keys, so the catalog test sees them
    nav.DATA: (t("home.step.data.title"), t("home.step.data.text")),
    nav.TRAIN: (t("home.step.train.title"), t("home.step.train.text")),
    nav.RUNS: (t("home.step.runs.title"), t("home.step.runs.text")),
    nav.EVALUATE: (t("home.step.evaluate.title"), t("home.step.evaluate.text")),
    nav.PREDICT: (t("home.step.predict.title"), t("home.step.predict.text")),
}


def device_box() -> None:
    """Polls every second while the device probe runs, then reruns the page once so polling stops."""
    dev = state.device()
    if dev is None:
        st.markdown(t("home.detecting_device"))
        st.session_state["_home_waiting_device"] = True
    elif st.session_state.pop("_home_waiting_device", False):
        st.rerun()
    else:
        gpu = (t("home.gpu_memory", gb=f"{dev['total_gb']:.0f}") if dev["type"] == "cuda"
               else t("widgets.no_gpu"))
        st.markdown(f"**{widgets.device_name(dev)}**  \n{gpu}")


st.title("Tuneboard")
st.markdown("#### " + t("home.tagline"))
# "Nothing leaves this computer" is true of a single-user server only: on a team server the data is on the server
st.write(t("journeys.home.intro_team") if auth.team_server() else t("home.intro"))
if st.button(t("home.start_demo"), type="primary", icon=":material/arrow_forward:"):
    nav.go(nav.DATA)

st.divider()
for col, (page, icon) in zip(st.columns(len(STEPS)), STEPS, strict=False):
    title, text = STEP_TEXTS[page]
    with col.container(border=True, height="stretch"):
        st.page_link(nav.page(page), label=f"**{title}**", icon=icon)
        st.caption(text)

st.divider()
models, data, machine = st.columns([1.1, 1.2, 1])
with models:
    st.subheader(t("home.models"))
    st.markdown(t("home.default_model"))
    local = list_local_models()
    if local:
        st.markdown(f"**{t('home.on_this_machine')}**  \n" + "  \n".join(f"`{m.name}`" for m in local[:6]))
    st.caption(t("home.any_model"))
with data:
    st.subheader(t("home.demo_data"))
    for name, (title, text) in state.EXAMPLE_FILES.items():
        st.markdown(f"**{t(title)}** · `{name}`  \n{t(text)}")


with machine:
    st.subheader(t("home.this_machine"))
    st.fragment(run_every=1.0 if state.device() is None else None)(lang.localized(device_box))()
    runs = list_runs()
    st.metric(t("home.runs_so_far"), len(runs))
    if runs:
        st.page_link(nav.page(nav.RUNS), label=t("home.see_all_runs"), icon=":material/history:")
