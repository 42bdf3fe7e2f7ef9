"""The language of the page: the person's choice (a sidebar switcher), remembered in the URL
(``?lang=zh``) and, for a signed-in person, on the server; else the browser's language.

Every page's words come from ``tuneboard.i18n.t``; this module only decides the language of each
script run and draws the switcher.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import streamlit as st

from tuneboard import i18n
from tuneboard.team import load_prefs, save_prefs

KEY = "lang"  # session state and query parameter
SWITCHER_KEY = "sidebar_language"


def _saved(user_id: str) -> str | None:
    return load_prefs(user_id).get(KEY)


def _remember(user_id: str, language: str) -> None:
    try:
        save_prefs(user_id, **{KEY: language})
    except OSError:  # a read-only disk costs the memory of the choice, not the page
        pass


def init_language(user_id: str | None = None) -> str:
    """Decide this run's language (URL, then this session, then the person's saved choice, then the
    browser) and set it for ``t``. app.py calls it before the login screen (``user_id`` None: nothing
    is remembered yet) and again once it knows who is there."""
    in_url = st.query_params.get(KEY)
    saved = _saved(user_id) if user_id else None
    wanted = in_url or st.session_state.get(KEY) or saved
    if wanted not in i18n.LANGUAGES:
        wanted = i18n.pick_language(getattr(st.context, "locale", None))
    if user_id is not None:
        st.session_state[KEY] = wanted
        # A language asked for in the address (a shared ``?lang=en`` link) is a choice like the switcher's:
        # remembered, so a reload without the parameter keeps it instead of falling back to the browser's.
        if in_url == wanted and saved != wanted:
            _remember(user_id, wanted)
    i18n.set_language(wanted)
    return wanted


def localized(body: Callable[..., Any]) -> Callable[..., Any]:
    """``body`` with this session's language set first: for ``st.fragment``. A fragment's own rerun does
    not run app.py (where ``init_language`` is called) and runs in a fresh thread, whose language would
    be the default (English)."""

    @functools.wraps(body)
    def run(*args: Any, **kwargs: Any) -> Any:
        init_language()
        return body(*args, **kwargs)

    return run


def switcher(user_id: str = "local") -> None:
    """The sidebar's language picker; a change is remembered (URL and the person's preferences)."""
    codes = list(i18n.LANGUAGES)
    current = st.session_state.get(KEY, i18n.DEFAULT)
    chosen = st.selectbox("Language / 语言", codes, index=codes.index(current), format_func=i18n.LANGUAGES.get,
                          key=SWITCHER_KEY)
    if chosen != current:
        # Streamlit keeps a choice widget's value as its shown label: after a switch, "Balanced" is no
        # label of the radio in Chinese (a KeyError on the next change). Kept widgets are drawn afresh
        # from their saved values (``state.sticky``), in the new language's labels.
        for widget in st.session_state.get("_sticky", {}):
            st.session_state.pop(widget, None)
        st.session_state[KEY] = chosen
        st.query_params[KEY] = chosen
        _remember(user_id, chosen)
        st.rerun()
