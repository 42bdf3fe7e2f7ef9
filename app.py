"""Tuneboard: fine-tune a text classifier on your own labeled table, in the browser.

Entry point: page set-up, navigation, and the sidebar every page shares. Pages live in app_pages/
(named once in components/nav.py),
widgets and charts in components/, the engine in tuneboard/.
"""
import streamlit as st

from components import nav, state, widgets

st.set_page_config(page_title="Tuneboard", page_icon=":material/tune:", layout="wide")
state.init_state()

page = nav.navigation()

with st.sidebar:
    st.markdown("## :material/tune: Tuneboard")
    st.caption("Fine-tune a text classifier on your own data.")
    widgets.sidebar_status()

with widgets.guard():
    page.run()
