"""Team mode in the real app (AppTest): no page without login, who is logged in, and the buttons a
user may not use are not there. The browser test (tests/e2e/test_login.py) logs in for real."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import nav
from tuneboard.config import TrainConfig
from tuneboard.runs.folder import create_run
from tuneboard.team import access

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "c" * 64, "client_id": "tb",
        "client_secret": "s", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
ALICE = {"is_logged_in": True, "email": "alice@example.com", "email_verified": True, "name": "Alice Example",
         "sub": "1"}
BOB = {"is_logged_in": True, "email": "bob@example.com", "email_verified": True, "name": "Bob Builder",
       "sub": "2"}


@pytest.fixture(autouse=True)
def _team(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEBOARD_TEAM", "1")
    monkeypatch.delenv("TUNEBOARD_ADMINS", raising=False)


def app(user: dict | None, secrets: dict | None = None, run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in (secrets if secrets is not None else {"auth": AUTH}).items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    if run_id:
        at.query_params["run"] = run_id
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def test_team_mode_without_auth_shows_what_is_missing_and_nothing_else():
    at = app(None, secrets={})
    assert len(at.error) == 1 and "Team mode needs login" in at.error[0].value and "[auth]" in at.error[0].value
    assert not at.button and not at.sidebar.button


def test_a_logged_out_visitor_sees_only_the_login_button():
    at = app({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.sidebar.text and "Home" not in [t.value for t in at.title]
    with pytest.raises(ValueError, match=r"Known pages: \['Tuneboard'\]"):  # navigation knows no other page
        at.switch_page(nav.PAGES[nav.RUNS].file)


def test_named_providers_get_a_button_each():
    auth = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    auth["okta"] = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    at = app({"is_logged_in": False}, secrets={"auth": auth})
    assert [b.label for b in at.button] == ["Log in with Okta"]


def test_the_sidebar_says_who_is_logged_in_and_offers_log_out():
    at = app(ALICE)
    assert "Alice Example" in [t.value for t in at.sidebar.text]
    assert at.sidebar.button(key="auth_logout").label == "Log out"  # clicked for real in tests/e2e/test_login.py


def test_admins_are_marked_as_such(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_ADMINS", "alice@example.com")
    assert "Alice Example (admin)" in [t.value for t in app(ALICE).sidebar.text]


def _alices_run() -> str:
    run = create_run(TrainConfig(data="d.csv"))
    run.set_status("completed")
    access.record_owner(run.path, "alice@example.com")
    return run.run_id


def test_only_the_owner_sees_delete_and_share_on_the_runs_page():
    run_id = _alices_run()
    mine = app(ALICE, run_id=run_id)
    mine.switch_page(nav.PAGES[nav.RUNS].file).run()
    assert "Owner: alice@example.com" in texts(mine)
    assert mine.button(key="runs_delete") and mine.toggle(key=f"runs_share_{run_id}")
    theirs = app(BOB, run_id=run_id)
    theirs.switch_page(nav.PAGES[nav.RUNS].file).run()
    assert not theirs.exception and "Owner: alice@example.com" in texts(theirs)
    assert "runs_delete" not in [b.key for b in theirs.button]
    assert not theirs.toggle


def test_sharing_from_the_runs_page_is_saved_with_the_run():
    run_id = _alices_run()
    at = app(ALICE, run_id=run_id)
    at.switch_page(nav.PAGES[nav.RUNS].file).run()
    at.toggle(key=f"runs_share_{run_id}").set_value(True).run()
    assert not at.exception
    assert access.owner_record(create_run.__globals__["runs_root"]() / run_id) == {"owner": "alice@example.com",
                                                                                  "shared": True}


def test_a_single_user_server_on_a_network_address_refuses_to_serve(monkeypatch):
    from streamlit import config

    monkeypatch.delenv("TUNEBOARD_TEAM")
    previous = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = app(None, secrets={})
    finally:
        config.set_option("server.address", previous)
    assert len(at.error) == 1 and "not in team mode" in at.error[0].value and not at.button
    local = app(None, secrets={})  # back on 127.0.0.1: the app as usual
    assert local.title[0].value == "Tuneboard" and not local.error


def test_home_on_a_team_server_does_not_promise_that_nothing_leaves_this_computer():
    at = app(ALICE)
    words = " ".join(m.value for m in at.markdown)
    assert "Nothing leaves this computer" not in words
    assert "your team's server" in words and "only people who log in" in words
