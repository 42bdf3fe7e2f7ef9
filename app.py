"""Tuneboard: fine-tune a text classifier on your own labeled table, in the browser.

Entry point: page set-up, navigation, and the sidebar every page shares. Pages live in pages/,
widgets and charts in components/, the engine in tuneboard/.
"""
import streamlit as st

from components import state, widgets

st.set_page_config(page_title="Tuneboard", page_icon=":material/tune:", layout="wide")
state.init_state()

pages = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/table_chart:"),
    st.Page("pages/train.py", title="Train", icon=":material/rocket_launch:"),
    st.Page("pages/runs.py", title="Runs", icon=":material/history:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/evaluate.py", title="Evaluate", icon=":material/fact_check:"),
    st.Page("pages/predict.py", title="Predict", icon=":material/bolt:"),
    st.Page("pages/deploy.py", title="Deploy", icon=":material/cloud_upload:"),
    st.Page("pages/monitor.py", title="Monitor", icon=":material/monitoring:"),
]
page = st.navigation(pages)

with st.sidebar:
    st.markdown("## :material/tune: Tuneboard")
    st.caption("Fine-tune a text classifier on your own data.")
    widgets.sidebar_status()

with widgets.guard():
    page.run()
