"""Tuneboard: fine-tune a text classifier on your own labeled table, in the browser.

Entry point: page set-up, navigation, and the sidebar every page shares. Pages live in app_pages/
(named once in components/nav.py),
widgets and charts in components/, the engine in tuneboard/.
"""
import streamlit as st

from components import auth, lang, nav, state, widgets
from tuneboard.i18n import t
from tuneboard.model import page_run

st.set_page_config(page_title="Tuneboard", page_icon=":material/tune:", layout="wide")
state.init_state()
lang.init_language()  # the browser's language (or ?lang=) for the login screen
user = auth.gate()  # team mode: a login screen until logged in; single-user: no login
lang.init_language(user.id)  # and now the person's own choice, when they saved one

page = nav.navigation()

with st.sidebar:
    st.markdown("## :material/tune: Tuneboard")
    st.caption(t("app.tagline"))
    # the language first: below a long page list its drop-down would open past the bottom of a projector's screen
    lang.switcher(user.id)
    widgets.sidebar_status()
    auth.sidebar(user)

with widgets.guard(), page_run():  # never while torch is first imported in the background
    page.run()
