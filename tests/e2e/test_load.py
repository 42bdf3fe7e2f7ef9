"""Bounded load on a team server, in a real browser (section Tests).

Two people (ALICE, BOB) log in through a real OIDC provider in two browser contexts and keep five tabs
open. Alice starts a long run; Bob, Alice and Bob queue three short ones behind it. Once the long run has
scored two epochs the server is restarted (SIGTERM, then started again on the same port with the same
secrets, so every tab reconnects still logged in). Then:

- the queued runs train after the restart, each exactly once;
- the run that was training reads "interrupted" with a Resume button; Alice resumes it and it finishes;
- no tab shows an exception, a traceback or an error box (the interrupted run's own message aside);
- every JSON file in every run folder parses, and every line of every history.jsonl;
- neither person sees Stop, Cancel or Delete on the other's run, on the Train page or on the Runs page.

Bounded: four runs of the tiny random BERT, loopback only, every wait an ``expect`` with a timeout; the
whole test measured about 2 minutes on a busy 2-core machine (printed at the end).
"""
from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from . import ui
from .conftest import ALICE, ARTIFACTS, BOB
from .harness import free_port, server_env, team_server, write_team_secrets

pytestmark = pytest.mark.e2e

LONG_EPOCHS = 20  # Alice's first run: still training when the server restarts after its 2nd epoch
SHORT_EPOCHS = 2
STALE_S = 5  # a run whose worker has not beaten for this long reads as interrupted (default 30 s)
RUN_TIMEOUT = 150_000  # a queued run waits for the ones ahead of it
# The one error box a tab may show: the interrupted run's own message (jobs.INTERRUPTED, runs.RunDir.status).
EXPECTED_ERRORS = re.compile(r"server stopped while this run was training|Nothing has trained it for over|"
                             r"process that was training this run has ended")


class TeamServer:
    """A team-mode server that can be restarted on the same port with the same secrets (and so the same
    login cookies and OIDC redirect address)."""

    def __init__(self, env: dict[str, str], port: int, secrets_file: Path, log: Path) -> None:
        self.env, self.port, self.secrets_file, self.log = env, port, secrets_file, log
        self.url = f"http://127.0.0.1:{port}"
        self._stack = contextlib.ExitStack()

    def start(self) -> None:
        self._stack.enter_context(team_server(self.env, self.port, self.secrets_file, self.log))

    def stop(self) -> None:
        self._stack.close()

    def restart(self) -> float:
        """Stop (SIGTERM to its process group) and start again; returns the seconds it took."""
        began = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - began


@pytest.fixture
def team(provider: str, tmp_path: Path, e2e_model: Path) -> Iterator[TeamServer]:
    port = free_port()
    secrets_file = write_team_secrets(tmp_path / "secrets.toml", f"http://127.0.0.1:{port}", provider)
    env = server_env(tmp_path, HOME=str(tmp_path), TUNEBOARD_ADMINS="", TUNEBOARD_MODELS_DIR=str(e2e_model.parent),
                     TUNEBOARD_UPLOADS_DIR=str(tmp_path / "uploads"), TUNEBOARD_HEARTBEAT_S="0.5",
                     TUNEBOARD_STALE_S=str(STALE_S))
    log = ARTIFACTS / "load-server.log"
    log.unlink(missing_ok=True)
    (ARTIFACTS / "load").mkdir(parents=True, exist_ok=True)
    server = TeamServer(env, port, secrets_file, log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def new_context(browser: Browser, url: str) -> BrowserContext:
    context = browser.new_context(base_url=url, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    return context


def open_train(page: Page, run_id: str | None = None) -> None:
    page.goto(f"/train?run={run_id}" if run_id else "/train")
    ui.wait_idle(page)


def expect_no_error(page: Page, label: str) -> None:
    """No exception, no traceback text, and no error box other than the expected ones."""
    ui.expect_no_traceback(page)
    for text in page.locator('[data-testid="stAlertContentError"]').all_inner_texts():
        assert EXPECTED_ERRORS.search(text), f"tab {label} shows an error: {text!r}"


def expect_no_train_actions(page: Page, run_id: str, badge: str) -> None:
    """On the Train page, ``run_id`` shows with its status ``badge`` (a regex) but without Stop, Cancel or
    Resume."""
    open_train(page, run_id)
    expect(page.get_by_text(re.compile(f"^({badge})$")).first).to_be_visible()
    expect(ui.key(page, "stop_training")).to_have_count(0)
    expect(ui.key(page, "train_resume")).to_have_count(0)


def expect_no_runs_actions(page: Page, run_id: str, owner: str) -> None:
    """On the Runs page, ``run_id`` shows its owner but neither Delete nor Share."""
    page.goto(f"/runs?run={run_id}")
    expect(page.get_by_text(f"Owner: {owner}")).to_be_visible()
    ui.wait_idle(page)
    expect(ui.key(page, "runs_delete")).to_have_count(0)
    expect(ui.key(page, f"runs_share_{run_id}")).to_have_count(0)


def check_files(runs_root: Path) -> int:
    """Every JSON file and every history line of every run folder parses; returns how many files were read."""
    count = 0
    for path in runs_root.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
        count += 1
    for path in runs_root.rglob("history.jsonl"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert line.strip(), f"{path}: blank line {n}"
            json.loads(line)
        count += 1
    return count


def history(runs_root: Path, run_id: str) -> list[dict]:
    return [json.loads(line) for line in (runs_root / run_id / "history.jsonl").read_text().splitlines()]


def test_two_people_five_tabs_and_a_restart_every_run_finishes_once(
        browser: Browser, provider: str, team: TeamServer, e2e_model: Path, tmp_path: Path) -> None:
    began = time.monotonic()
    runs_root = tmp_path / "runs"
    alice, bob = new_context(browser, team.url), new_context(browser, team.url)
    a_train, a_queue, a_watch, b_train, b_queue = (c.new_page() for c in (alice, alice, alice, bob, bob))
    tabs = {"alice-train": a_train, "alice-queue": a_queue, "alice-watch": a_watch,
            "bob-train": b_train, "bob-queue": b_queue}
    try:
        for page, user in ((a_train, ALICE), (b_train, BOB)):  # one login per person: the tabs share it
            page.goto("/")
            ui.log_in(page, provider, user)
        # Four runs: Alice's long one trains, three short ones queue behind it. The forms are filled first and
        # the four Start buttons pressed one after the other, so the queue is full while the long run trains.
        starts = {"A1": (a_train, LONG_EPOCHS), "B1": (b_train, SHORT_EPOCHS), "A2": (a_queue, SHORT_EPOCHS),
                  "B2": (b_queue, SHORT_EPOCHS)}
        for page, epochs in starts.values():
            open_train(page)
            ui.fill_train_form(page, e2e_model, epochs)
        ids = {}
        for name, (page, _) in starts.items():
            ui.click_start(page)
            ids[name] = ui.wait_run_started(page, timeout=RUN_TIMEOUT)
        expect(b_queue.get_by_text("Queued", exact=True)).to_be_visible()
        queued_at = time.monotonic() - began

        # Restart once the long run has scored two epochs (its checkpoint is on disk by then).
        ui.wait_points(a_train, "train_live_loss", 1, runs_root / ids["A1"], trace=1)
        assert json.loads((runs_root / ids["A1"] / "status.json").read_text())["status"] == "running", \
            "the long run ended before the restart: make LONG_EPOCHS larger"
        restart_s = team.restart()

        # The run that was training: interrupted, with Resume for its owner only.
        expect(ui.key(a_train, "train_resume")).to_be_visible(timeout=60_000)
        expect(a_train.get_by_text("Interrupted", exact=True)).to_be_visible()
        ui.wait_idle(a_train)
        expect_no_error(a_train, "alice-train (interrupted)")
        a_train.screenshot(path=str(ARTIFACTS / "load" / "interrupted.png"))
        expect_no_train_actions(b_queue, ids["A1"], "Interrupted")
        expect_no_runs_actions(b_queue, ids["A1"], ALICE["email"])
        expect_no_train_actions(a_watch, ids["B2"], "Queued|Training|Completed")  # Alice looks at Bob's run
        expect_no_runs_actions(a_watch, ids["B2"], BOB["email"])

        ui.key(a_train, "train_resume").get_by_role("button").click()
        # queued behind what is left of the queue, or training at once when the queue has emptied meanwhile
        expect(a_train.get_by_text(re.compile(r"^(Queued|Training|Completed)$")).first).to_be_visible()
        expect_no_train_actions(b_queue, ids["A1"], "Queued|Training|Completed")  # no Cancel for Bob either
        open_train(b_queue, ids["B2"])
        for name, page in (("B1", b_train), ("A2", a_queue), ("B2", b_queue), ("A1", a_train)):
            assert ui.query_param(page, "run") == ids[name]
            ui.wait_text(page, "Training finished", runs_root / ids[name])
        finished_at = time.monotonic() - began

        # Finished runs: still hands off for the other person; Delete for the owner.
        expect_no_runs_actions(a_watch, ids["B1"], BOB["email"])
        a_watch.goto(f"/runs?run={ids['A1']}")
        expect(ui.key(a_watch, "runs_delete")).to_be_visible()
        for label, page in tabs.items():
            ui.wait_idle(page)
            expect_no_error(page, label)
    finally:
        for label, page in tabs.items():
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / "load" / f"{label}.png"), full_page=True)
        alice.close()
        bob.close()

    # Every run finished exactly once, on disk and in the queue.
    files = check_files(runs_root)
    with contextlib.closing(sqlite3.connect(tmp_path / "tuneboard.db")) as db:
        queue = dict(db.execute("SELECT run_id, status FROM runs").fetchall())
    for name, run_id in ids.items():
        events = history(runs_root, run_id)
        statuses = [e["status"] for e in events if e["type"] == "status"]
        assert statuses.count("completed") == 1, f"{name}: {statuses}"
        assert json.loads((runs_root / run_id / "status.json").read_text())["status"] == "completed", name
        assert queue[run_id] == "completed", f"{name} in the queue: {queue[run_id]}"
        start = [e for e in events if e["type"] == "start"]
        assert len(start) == (2 if name == "A1" else 1), f"{name} started {len(start)} times"
        steps = [e["step"] for e in events if e["type"] == "train"]
        assert steps[-1] == start[-1]["total_steps"], f"{name} ended at step {steps[-1]} of {start[-1]['total_steps']}"
    assert sorted(p.name for p in runs_root.iterdir() if p.is_dir()) == sorted(ids.values())
    print(f"load: 4 runs queued by {queued_at:.0f} s, restart took {restart_s:.1f} s, all finished by "
          f"{finished_at:.0f} s, test {time.monotonic() - began:.0f} s; {files} files parsed")
