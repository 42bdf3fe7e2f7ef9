"""A model's life after the first deploy, as a person lives it, in headless Chromium: promote a run to a name on
the Models page, serve the name from Deploy, make a second run the candidate while a load generator (a thread of
this test) calls the API, read the comparison on Monitor, promote the candidate, roll back -- and not one of the
generator's requests failed. Then the same screens in Chinese.

The runs are TF-IDF baselines (seconds to train, instant to load): what is served is not the point, the swaps are.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tuneboard.config import TrainConfig
from tuneboard.serve import deploy, monitor, named_id, served_folder
from tuneboard.team import access
from tuneboard.train.pipeline import execute

from . import ui
from .harness import DEMO

pytestmark = pytest.mark.e2e

SERVE_TIMEOUT = 180_000  # the API process imports its libraries: tens of seconds on a busy 2-core box
NAME = "ticket-router"


class LoadGenerator(threading.Thread):
    """Calls the API until stopped; keeps every answer's version header, and every failure."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.versions: list[str] = []
        self.failures: list[str] = []

    def run(self) -> None:
        texts = ["where is my parcel? it is late", "I was charged twice", "the app crashes when I log in"]
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.is_set():
                try:
                    r = http.post("/predict", json={"inputs": texts[len(self.versions) % len(texts)]})
                    if r.status_code == 200:
                        self.versions.append(r.headers.get("X-Model-Version", ""))
                    else:
                        self.failures.append(f"{r.status_code}: {r.text}")
                except httpx.HTTPError as e:
                    self.failures.append(repr(e))
                self.stop.wait(0.03)  # a steady client, not a flood: the browser shares the two cores

    def answered_by(self, version: str, timeout_s: float = 60.0) -> None:
        start = len(self.versions)
        deadline = time.monotonic() + timeout_s
        while version not in self.versions[start:]:
            assert time.monotonic() < deadline, f"{version} never answered; last: {self.versions[-3:]}"
            assert self.is_alive(), "the load generator stopped"
            time.sleep(0.05)


def pick(page: Page, widget: str, option: str) -> None:
    """Open the select box ``widget`` and click the option that contains ``option``."""
    ui.key(page, widget).get_by_role("combobox").click()
    page.get_by_role("option", name=re.compile(re.escape(option))).first.click()
    ui.wait_idle(page)


def promote_on_the_models_page(page: Page, run_id: str, alias: str) -> None:
    ui.go_to(page, "Models")
    pick(page, "models_run", run_id.split("-", 2)[2])
    ui.key(page, "models_name").locator("input").fill(NAME)
    pick(page, "models_alias", alias)
    page.get_by_role("button", name="Promote", exact=True).click()
    ui.wait_idle(page)
    expect(page.get_by_text(f"Promoted: {NAME} has a new version.")).to_be_visible()


def switch_language(page: Page, name: str) -> None:
    ui.key(page, "sidebar_language").get_by_role("combobox").click()
    page.get_by_role("option", name=name, exact=True).click()
    ui.wait_idle(page)


def wait_shadowed(rows: int, timeout_s: float = 90.0) -> None:
    """The server writes its log every 0.5 s: poll the file until ``rows`` shadowed answers are in."""
    deadline = time.monotonic() + timeout_s
    while True:
        log = monitor.read_log(served_folder(NAME))
        if len(log) and log["shadow_label"].notna().sum() >= rows:
            return
        assert time.monotonic() < deadline, f"fewer than {rows} shadowed answers within {timeout_s:.0f} s"
        time.sleep(0.2)


def test_promote_serve_by_name_shadow_compare_promote_and_roll_back_without_a_failed_request(
        page: Page, runs_dir: Path, monkeypatch, shot) -> None:
    monkeypatch.setenv("TUNEBOARD_RUNS_DIR", str(runs_dir))  # the app's runs, and beside them its database
    first, second = (execute(TrainConfig(data=str(DEMO), model="tfidf", run_name=f"router-{x}", seed=s)).run
                     for s, x in ((0, "a"), (1, "b")))
    generator = None
    try:
        ui.open_app(page)
        promote_on_the_models_page(page, first.run_id, "production")
        expect(ui.key(page, "models_versions")).to_contain_text(first.run_id)
        shot("models-first-version", doc="models")

        ui.go_to(page, "Deploy")
        ui.key(page, "deploy_by_name").get_by_text("Serve a model by name").click()  # the switch, by its label
        ui.wait_idle(page)
        expect(ui.key(page, "deploy_model").get_by_role("combobox")).to_have_value(NAME)
        ui.key(page, "deploy_named_start").get_by_role("button").click()
        expect(page.locator('[data-testid="stMetric"]').filter(has_text="Answering version")
               .locator('[data-testid="stMetricValue"]')).to_have_text(f"{NAME}/1", timeout=SERVE_TIMEOUT)
        url = ui.key(page, "deploy_url").locator("code").inner_text().strip()
        shot("deploy-by-name", doc="deploy")

        generator = LoadGenerator(url)
        generator.start()
        generator.answered_by(f"{NAME}/1")
        promote_on_the_models_page(page, second.run_id, "candidate")
        wait_shadowed(30)

        ui.go_to(page, "Monitor")
        expect(ui.key(page, "monitor_verdict")).to_be_visible()
        compared = page.locator('[data-testid="stMetric"]').filter(has_text="Texts compared")
        expect(compared.locator('[data-testid="stMetricValue"]')).to_have_text(re.compile(r"^[1-9][\d,]*$"))
        expect(page.get_by_text("Agreement")).to_be_visible()
        shot("monitor-production-vs-candidate", doc="monitor")
        ui.expect_no_traceback(page)

        ui.key(page, "monitor_promote").get_by_role("button").click()
        expect(page.get_by_text(f"{NAME}/2 is now production.")).to_be_visible()
        generator.answered_by(f"{NAME}/2")
        ui.key(page, "monitor_rollback").get_by_role("button").click()
        expect(page.get_by_text(f"{NAME}: production is the previous version again.")).to_be_visible()
        generator.answered_by(f"{NAME}/1")

        ui.go_to(page, "Models")  # version 2 again as a canary that answers half the requests itself
        box = ui.key(page, "models_version").get_by_role("combobox")  # the keyboard: type the version, Enter
        box.click()
        box.press_sequentially("2")
        box.press("Enter")
        ui.wait_idle(page)
        ui.expect_selected(page, "models_version", "2")
        ui.key(page, "models_make_candidate").get_by_role("button").click()
        expect(page.get_by_text(f"{NAME}/2 is now candidate.")).to_be_visible()
        ui.choose_radio(page, "models_traffic", "Canary")
        ui.set_input(page, "models_percent", "50")
        ui.key(page, "models_apply_traffic").get_by_role("button").click()
        expect(page.get_by_text(f"{NAME}: the candidate's traffic is changed.")).to_be_visible()
        generator.answered_by(f"{NAME}/2")
        ui.key(page, "models_clear").get_by_role("button").click()
        expect(page.get_by_text(f"{NAME} has no candidate now.")).to_be_visible()
        ui.key(page, "models_make_production").get_by_role("button").click()  # version 2 still picked
        expect(page.get_by_text(f"{NAME}/2 is now production.")).to_be_visible()
        generator.answered_by(f"{NAME}/2")
        ui.key(page, "models_rollback").get_by_role("button").click()
        expect(page.get_by_text(f"{NAME}: production is the previous version again.")).to_be_visible()
        generator.answered_by(f"{NAME}/1")
        history = ui.key(page, "models_history")
        expect(history).to_contain_text("rolled back")
        expect(history).to_contain_text("Canary (answers a share) 50%")
        shot("models-history", doc="models")
        switch_language(page, "简体中文")
        expect(page.get_by_role("heading", name="模型")).to_be_visible()
        expect(ui.key(page, "models_history")).to_contain_text("回滚")
        shot("models-zh")
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="监控", exact=True).click()
        expect(page).to_have_url(re.compile(r"/monitor(\?.*)?$"))
        ui.wait_idle(page)
        expect(ui.key(page, "monitor_verdict")).to_be_visible()
        shot("monitor-zh")
        ui.expect_no_traceback(page)
        switch_language(page, "English")
        expect(page.get_by_role("heading", name="Monitor")).to_be_visible()
        generator.stop.set()
        generator.join(timeout=30)
        ui.go_to(page, "Deploy")  # the switch remembers serving by name
        ui.key(page, "deploy_named_stop").get_by_role("button").click()
        expect(page.get_by_text("Not deployed")).to_be_visible()
        assert deploy.get_deployment(named_id(NAME)) is None
    finally:
        if generator is not None:
            generator.stop.set()
            generator.join(timeout=30)
        deploy.stop_named(NAME, user=access.LOCAL) if deploy.get_deployment(named_id(NAME)) else None
    assert generator.failures == [], generator.failures[:5]
    assert {f"{NAME}/1", f"{NAME}/2"} <= set(generator.versions) and len(generator.versions) > 50
