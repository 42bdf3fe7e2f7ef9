"""Who is using the app: nobody to ask on a single-user server, a login on a team server.

``gate()`` runs in app.py before any page. Single-user (``make run``, bound to 127.0.0.1): the user is
``access.LOCAL`` (an admin) and there is no login. Team mode (``TUNEBOARD_TEAM=1`` or ``[tuneboard] team =
true``): every page waits behind ``st.login`` until ``st.user.is_logged_in``. Pages ask ``current_user()``
and ``allowed(action, run_path)`` to hide what a user may not do; the engine's ``access.check`` says no too.
"""
from __future__ import annotations

import contextvars
import logging
import sys
from typing import Any

import streamlit as st

from tuneboard.errors import PermissionDenied
from tuneboard.i18n import t
from tuneboard.team import access
from tuneboard.team import server as team

log = logging.getLogger("tuneboard.app")


def settings() -> dict[str, Any]:
    """The Streamlit secrets as a plain dict ({} when there is no secrets file or it cannot be read)."""
    try:
        return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
    except Exception:  # noqa: BLE001 -- a broken secrets file must lock a team server, not crash it
        log.exception("cannot read the secrets")
        return {}


def gate() -> access.User:
    """The user of this session; in team mode, a login screen (and nothing else) until they log in."""
    secrets = settings()
    if not team.team_mode(secrets):
        if _on_network():
            _say_refusal_in_terminal()
            _only(lambda: st.error(t("auth.open_on_network")))
        return access.LOCAL
    problem = team.auth_problem(secrets)
    if problem:
        _only(lambda: st.error(t("auth.not_configured", problem=problem)))
    if not st.user.is_logged_in:
        _only(lambda: _login_screen(team.providers(secrets["auth"])))
    try:
        return current_user()
    except PermissionDenied as e:
        denied = e
        _only(lambda: show_denied(denied))
        raise  # not reached: _only stops the script


def team_server() -> bool:
    """Whether this is a team server (login, shared runs), not one person's own."""
    return team.team_mode(settings())


def current_user() -> access.User:
    """``access.LOCAL`` on a single-user server; the logged-in person in team mode."""
    secrets = settings()
    if not team.team_mode(secrets):
        return access.LOCAL
    if not st.user.is_logged_in:
        raise PermissionDenied(t("auth.err.not_logged_in"))
    return access.user_from_claims(dict(st.user.to_dict()), team.admin_setting(secrets))


def allowed(action: str, run_path: Any) -> bool:
    """Whether the current user may take ``action`` on the run at ``run_path`` (hide the button if not)."""
    return access.allowed(current_user(), action, run_path)


def show_denied(e: PermissionDenied) -> None:
    """A refusal: its title as an error, its message as plain text (it names people, which are user data)."""
    st.error(e.title, icon=":material/block:")
    st.text(str(e))


def allowed_run(action: str, run_id: str) -> bool:
    """``allowed`` for a run given by id (False when no such run exists)."""
    from tuneboard.errors import TuneboardError
    from tuneboard.runs import open_run

    try:
        return allowed(action, open_run(run_id).path)
    except TuneboardError:
        return False


def sidebar(user: access.User) -> None:
    """Who is logged in and a Log out button (team mode only: a local user has nothing to log out of)."""
    if user is access.LOCAL:
        return
    st.caption(t("auth.logged_in"))
    # text, not markdown: names are user data
    st.text(t("auth.admin", user=user.label) if user.is_admin else user.label)
    if st.button(t("auth.log_out"), key="auth_logout", icon=":material/logout:"):
        # The browser goes to the provider's end-session page, then back to the login screen. No st.rerun()
        # after it: measured in tests/e2e/test_login.py, a rerun drops the redirect (the provider never
        # hears of the logout).
        st.logout()


def _only(draw: Any) -> None:
    """Draw one screen and stop. It is the only page navigation knows, so no URL reaches another page
    (and Streamlit never falls back to listing the pages/ folder)."""
    st.navigation([st.Page(draw, title="Tuneboard", url_path="login")], position="hidden").run()
    st.stop()


def _login_screen(providers: list[str]) -> None:
    st.title("Tuneboard")
    st.write(t("auth.intro"))
    for name in providers:
        label = t("auth.log_in") if name == "default" else t("auth.log_in_with", provider=name.capitalize())
        if st.button(label, key=f"auth_login_{name}", type="primary", icon=":material/login:"):
            st.login(None if name == "default" else name)


def _on_network() -> bool:
    """Whether the server can be reached from other machines (``team.on_network``: the sockets it listens on)."""
    return team.on_network(int(st.get_option("server.port")), st.get_option("server.address"))


@st.cache_resource(show_spinner=False)
def _say_refusal_in_terminal() -> bool:
    """Once per server process: the terminal printed a Network URL as if it were open; say that it is not.
    In a fresh context, so the line is in the default language, not the first visitor's."""
    line = contextvars.Context().run(t, "journeys.auth.refuses_terminal", port=st.get_option("server.port"))
    print(line, file=sys.stderr, flush=True)
    return True
