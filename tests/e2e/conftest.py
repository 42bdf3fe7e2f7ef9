"""Browser-test fixtures: one real Tuneboard server per session, pytest-playwright's ``page`` pointed at
it through Debian's Chromium, and a screenshot helper.

The server writes runs and datasets under a private tmp folder and never goes online; the tiny random
BERT from ``tests/conftest.py`` is placed in its models folder, so the model picker lists it and a
training run takes seconds.
"""
from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect as _expect

from .harness import ROOT, launch_args, server_env, stop_deployments, streamlit_server

# Every expect() waits this long unless told otherwise: the 2-core CI machine trains while the browser waits.
_expect.set_options(timeout=30_000)

ARTIFACTS = ROOT / "artifacts" / "e2e"
DOC_SHOTS = ROOT / "docs" / "screenshots"
TINY_NAME = "tiny-bert"
# The team's people, as the OIDC provider knows them (its authorize form takes the ``sub``).
ALICE = {"sub": "alice", "email": "alice@example.com", "email_verified": True, "name": "Alice Example"}
BOB = {"sub": "bob", "email": "bob@example.com", "email_verified": True, "name": "Bob Example"}


@pytest.fixture(scope="session")
def e2e_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def e2e_model(e2e_work: Path, tiny_model: str) -> Path:
    """The tiny model as a folder under the server's models folder (listed by the Train page)."""
    target = e2e_work / "models" / TINY_NAME
    shutil.copytree(tiny_model, target)
    return target


@pytest.fixture(scope="session")
def app_url(e2e_work: Path, e2e_model: Path) -> Iterator[str]:
    """``streamlit run app.py`` on a free port; stopped at the end of the session."""
    env = server_env(e2e_work, TUNEBOARD_MODELS_DIR=str(e2e_model.parent),
                     TUNEBOARD_UPLOADS_DIR=str(e2e_work / "uploads"))
    try:
        with streamlit_server(env, ARTIFACTS / "server.log") as url:
            yield url
    finally:
        stop_deployments(e2e_work)  # an API a failed test left serving (each runs in its own session)


@pytest.fixture(autouse=True)
def _forget_choices(e2e_work: Path) -> Iterator[None]:
    """Each test starts as a newcomer: the language and data a person chose are remembered on the server
    (per person; on a single-user server that is everyone), so a test's choices must not reach the next."""
    yield
    shutil.rmtree(e2e_work / "prefs", ignore_errors=True)


@pytest.fixture(scope="session")
def runs_dir(e2e_work: Path) -> Path:
    return e2e_work / "runs"


@pytest.fixture
def provider() -> Iterator[str]:
    """A real OpenID Connect provider (``oidc-provider-mock``: discovery, authorization code flow, signed ID
    tokens, end session) on a free port of 127.0.0.1, knowing ALICE and BOB; yields its base URL (the issuer)."""
    from oidc_provider_mock import User, app
    from werkzeug.serving import make_server

    users = [User(sub=u["sub"], claims={k: v for k, v in u.items() if k != "sub"}) for u in (ALICE, BOB)]
    server = make_server("127.0.0.1", 0, app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, **launch_args()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], app_url: str) -> dict[str, Any]:
    # A projector-sized window: what the screenshots in docs/ show.
    return {**browser_context_args, "base_url": app_url, "viewport": {"width": 1440, "height": 900}}


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(30_000)
    return page


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``shot("step-name")`` saves a full-page screenshot under artifacts/e2e/<test>/ (git-ignored, kept
    by CI). ``shot(name, doc="train-live")`` also copies it to docs/screenshots/e2e-train-live.png when
    E2E_UPDATE_DOCS=1 (off by default so a test run never changes tracked files)."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    count = [0]

    def take(name: str, doc: str | None = None) -> Path:
        count[0] += 1
        path = folder / f"{count[0]:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if doc and os.environ.get("E2E_UPDATE_DOCS") == "1":
            DOC_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOC_SHOTS / f"e2e-{doc}.png")
        return path

    return take


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test leaves a screenshot of what the browser showed at that moment (for CI artifacts)."""
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(folder / "failure.png"), full_page=True)
        except Exception:  # noqa: BLE001 -- a closed page must not hide the real failure
            pass
