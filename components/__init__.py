"""Streamlit widgets and Plotly figure builders shared by the pages (pages → components → tuneboard)."""
import streamlit as st

try:
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:  # a future Streamlit without the old multipage mode
    PagesManager = None

if PagesManager is not None and PagesManager.uses_pages_directory:
    # Until app.py has called st.navigation once, Streamlit treats pages/ as an old-style multipage
    # app: the first request after a server start to a deep link (/evaluate?run=...) would run that
    # page alone, without app.py's navigation, layout and sidebar. Switch to st.navigation and rerun.
    PagesManager.uses_pages_directory = False
    st.rerun()
