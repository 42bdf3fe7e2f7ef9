"""Deploy from the app, call the API, see the call on Monitor, in headless Chromium.

A tiny run is trained by the engine into the server's runs folder (seconds); the browser starts its API
on the Deploy page, the test calls it over loopback with httpx like a product would, and the Monitor
page then counts that prediction. Every wait is an ``expect`` or a bounded poll; the API is stopped
from the page, and in any case at the end.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tuneboard.config import TrainConfig
from tuneboard.serve import deploy, monitor
from tuneboard.team import access
from tuneboard.train.pipeline import execute

from . import ui
from .harness import DEMO

pytestmark = pytest.mark.e2e

SERVE_TIMEOUT = 180_000  # the API process imports torch and transformers: tens of seconds on a busy 2-core box


def metric(page: Page, label: str):
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def wait_logged(run_path: Path, n: int, timeout_s: float = 30.0) -> None:
    """The server writes its log every 0.5 s: poll the file (not the UI) until ``n`` rows are in."""
    deadline = time.monotonic() + timeout_s
    while len(monitor.read_log(run_path)) < n:
        assert time.monotonic() < deadline, f"the served call was not logged within {timeout_s:.0f} s"
        time.sleep(0.1)


def test_deploy_from_the_app_call_it_and_see_the_call_on_monitor(page: Page, e2e_model: Path, runs_dir: Path,
                                                                  monkeypatch, shot) -> None:
    monkeypatch.setenv("TUNEBOARD_RUNS_DIR", str(runs_dir))  # the app server's runs: the test sees its deployments
    run = execute(TrainConfig(data=str(DEMO), model=str(e2e_model), preset="fast", epochs=1)).run
    labels = set(run.metrics()["labels"])
    try:
        ui.open_app(page, f"/deploy?run={run.run_id}")
        expect(page.get_by_text("Not deployed")).to_be_visible()
        ui.key(page, "deploy_start").get_by_role("button").click()
        expect(metric(page, "Status")).to_have_text("serving", timeout=SERVE_TIMEOUT)
        url = ui.key(page, "deploy_url").locator("code").inner_text().strip()  # a code box: the address is long
        assert url.startswith("http://127.0.0.1:"), url  # loopback only
        shot("deploy-serving", doc="deploy")

        answer = httpx.post(f"{url}/predict", json={"inputs": "where is my parcel? it is late"}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()[0][0]["label"] in labels
        wait_logged(run.path, 1)

        ui.go_to(page, "Monitor")
        expect(metric(page, "Predictions")).to_have_text("1")
        expect(metric(page, "Latency p50")).to_contain_text("ms")
        shot("monitor-one-call", doc="monitor")
        ui.expect_no_traceback(page)

        ui.go_to(page, "Deploy")
        ui.key(page, "deploy_stop").get_by_role("button").click()
        expect(page.get_by_text("Not deployed")).to_be_visible()
        assert deploy.get_deployment(run.run_id) is None
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/health", timeout=5)
        ui.expect_no_traceback(page)
    finally:
        deploy.stop_deployment(run.run_id, user=access.LOCAL)  # never leave a server behind


def test_deleting_a_served_run_on_the_runs_page_stops_its_api(page: Page, runs_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("TUNEBOARD_RUNS_DIR", str(runs_dir))
    run = execute(TrainConfig(data=str(DEMO), model="tfidf")).run  # a model in seconds; what is served is the point
    dep = deploy.start_deployment(run.path, user=access.LOCAL)
    try:
        deadline = time.monotonic() + SERVE_TIMEOUT / 1000
        while deploy.health(dep) is None:
            assert time.monotonic() < deadline and deploy.servers(run.path), deploy.log_tail(dep)
            time.sleep(0.2)
        page.goto(f"/runs?run={run.run_id}")
        ui.key(page, "runs_delete").get_by_role("button").click()
        ui.key(page, "runs_confirm_delete").get_by_role("button").click()
        expect(page.get_by_text(re.compile(r"^Deleted (1 item|\d+ items):$"))).to_be_visible(timeout=60_000)
        ui.expect_no_traceback(page)
        assert not run.path.exists() and deploy.servers(run.path) == []
        assert not deploy.record_path(run.run_id).exists() and not deploy.log_path(run.run_id).exists()
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{dep.url}/health", timeout=5)
    finally:
        deploy.stop_deployment(run.run_id, user=access.LOCAL)  # never leave a server behind
