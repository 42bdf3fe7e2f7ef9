"""Deploy page in team mode: starting and stopping a run's API (and exporting its formats) is the
owner's or an admin's call -- a teammate sees the page and the snippets, not the buttons -- and the
engine refuses too, whoever calls it."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import nav
from tuneboard.config import TrainConfig
from tuneboard.errors import PermissionDenied
from tuneboard.serve import deploy
from tuneboard.team import access
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "c" * 64, "client_id": "tb",
        "client_secret": "s", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
ALICE = {"is_logged_in": True, "email": "alice@example.com", "email_verified": True, "name": "Alice Example",
         "sub": "1"}
BOB = {"is_logged_in": True, "email": "bob@example.com", "email_verified": True, "name": "Bob Builder",
       "sub": "2"}


@pytest.fixture
def alices_run(sentiment_csv, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_TEAM", "1")
    monkeypatch.delenv("TUNEBOARD_ADMINS", raising=False)
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    access.record_owner(run.path, "alice@example.com")
    return run


def deploy_page(user: dict, run_id: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = user
    at.query_params["run"] = run_id
    at.run()
    at.switch_page(nav.PAGES[nav.DEPLOY].file).run()
    assert not at.exception, at.exception
    return at


def test_only_the_owner_gets_the_start_stop_and_measure_buttons(alices_run):
    mine = deploy_page(ALICE, alices_run.run_id)
    assert {"deploy_start", "deploy_stop", "deploy_measure"} <= {b.key for b in mine.button}
    theirs = deploy_page(BOB, alices_run.run_id)
    keys = {b.key for b in theirs.button}
    assert not keys & {"deploy_start", "deploy_stop", "deploy_measure"}
    assert theirs.radio(key="deploy_backend").disabled
    assert any("owner or an admin can start or stop" in c.value for c in theirs.caption)
    assert any(c.value.startswith("curl") for c in theirs.code)  # the snippets stay visible


def test_the_engine_refuses_a_teammate_and_lets_an_admin_deploy(alices_run, monkeypatch):
    bob = access.User("bob@example.com")
    with pytest.raises(PermissionDenied, match="start or stop the API of"):
        deploy.start_deployment(alices_run.path, user=bob)
    assert deploy.get_deployment(alices_run.run_id) is None  # nothing was started
    monkeypatch.setenv("TUNEBOARD_ADMINS", "carol@example.com")
    carol = access.user_from_claims({"email": "carol@example.com", "email_verified": True})
    dep = deploy.start_deployment(alices_run.path, user=carol)
    try:
        with pytest.raises(PermissionDenied):
            deploy.stop_deployment(alices_run.run_id, user=bob)
        assert deploy.get_deployment(alices_run.run_id) is not None
    finally:
        assert deploy.stop_deployment(dep.run_id, user=carol)
    assert deploy.get_deployment(alices_run.run_id) is None
