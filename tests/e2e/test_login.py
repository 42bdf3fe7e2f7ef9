"""Team mode in a real browser against a real OpenID Connect provider.

The provider is ``oidc-provider-mock`` (a real OIDC server: discovery, authorization code flow, signed
ID tokens, end-session) served on 127.0.0.1 from a thread. Tuneboard is started the way a team starts
it, ``python -m tuneboard.team.server``, with a secrets file in a temp folder (the repo's .streamlit is not
touched) and bound to 127.0.0.1 for the test. Chromium logs in through the provider's form, sees the
name in the sidebar, logs out, and is back at the login screen.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from . import ui
from .conftest import ALICE, ARTIFACTS, BOB
from .harness import free_port, server_env, team_server, write_team_secrets

pytestmark = pytest.mark.e2e


@pytest.fixture
def team_url(provider: str, tmp_path: Path) -> Iterator[str]:
    """``python -m tuneboard.team.server`` with [auth] pointing at the provider; yields the app's URL."""
    port = free_port()
    secrets_file = write_team_secrets(tmp_path / "secrets.toml", f"http://127.0.0.1:{port}", provider)
    # HOME: no ~/.streamlit/secrets.toml of the machine's user can add to (or replace) the test's settings.
    env = server_env(tmp_path, HOME=str(tmp_path), TUNEBOARD_ADMINS="")
    with team_server(env, port, secrets_file, ARTIFACTS / "team-server.log") as url:
        yield url


@pytest.fixture
def fresh_page(browser: Browser, team_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=team_url, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def test_login_with_the_team_provider_then_log_out(fresh_page: Page, team_url: str, provider: str):
    page = fresh_page
    page.goto("/")
    login = page.get_by_role("button", name="Log in")
    expect(login).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Start with the demo data")).to_have_count(0)  # no page before login
    page.goto("/runs")  # nor by typing another page's address
    expect(login).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name="Runs")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "login-other-page.png"), full_page=True)

    page.goto("/")
    ui.log_in(page, provider, ALICE)
    sidebar = page.get_by_test_id("stSidebar")
    expect(page.get_by_text("Start with the demo data")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "login-logged-in.png"), full_page=True)

    sidebar.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{provider}/oauth2/end_session**")  # the provider's own logout (OIDC end session)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{team_url}/**")
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Alice Example")).to_have_count(0)
    page.goto("/")  # the login cookie is gone: a reload does not bring the session back
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Start with the demo data")).to_have_count(0)


def test_through_the_real_login_alice_keeps_her_runs_and_bob_never_sees_what_her_api_received(
        browser: Browser, team_url: str, provider: str, sentiment_csv: Path):
    from tuneboard.config import TrainConfig
    from tuneboard.serve import monitor
    from tuneboard.team import access
    from tuneboard.train.pipeline import execute

    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run  # in the server's runs folder
    access.record_owner(run.path, ALICE["email"])  # owned by her e-mail, as runs made before this login
    log = monitor.PredictionLog(monitor.log_path(run.path), store_texts=True, flush_s=60)
    log.record([{"latency_ms": 2.0, "label": "positive", "confidence": 0.55, "text": "alice's client secret"}])
    log.close()
    contexts = [browser.new_context(base_url=team_url, viewport={"width": 1440, "height": 900}) for _ in range(2)]
    try:
        alice, bob = (c.new_page() for c in contexts)
        for page, user in ((alice, ALICE), (bob, BOB)):
            page.set_default_timeout(30_000)
            page.goto("/")
            ui.log_in(page, provider, user)
        alice.goto(f"/runs?run={run.run_id}")  # the provider's verified e-mail is her id: the run is hers
        expect(alice.get_by_text(f"Owner: {ALICE['email']}")).to_be_visible()
        expect(ui.key(alice, "runs_delete")).to_be_visible()
        bob.goto(f"/monitor?run={run.run_id}")
        expect(bob.get_by_text("private to its owner")).to_be_visible(timeout=60_000)
        expect(bob.get_by_text("alice's client secret")).to_have_count(0)
        expect(ui.key(bob, "monitor_append")).to_have_count(0)
        bob.screenshot(path=str(ARTIFACTS / "login-monitor-teammate.png"), full_page=True)
    finally:
        for c in contexts:
            c.close()
