"""A crash, as a person lives it: the server is killed with kill -9 in the middle of a run, started again on the
same port at once, and the interrupted run is resumed from the Train page right away. And a single-user server
started on every interface refuses, in the browser and in its terminal.

Each test starts its own server (a killed server cannot be the session's shared one). The liveness window is the
default 30 s: the restart and the Resume land inside it, where only the dead process tells that nobody trains.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Browser, Page, expect

from . import ui
from .conftest import ARTIFACTS
from .harness import DEMO, free_port, server_env, streamlit_server

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 150_000
LONG_EPOCHS = 20  # still training when the server is killed after its first evaluation


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # polling files and sockets, not waiting for the UI


def listeners(port: int) -> set[int]:
    """The processes that listen on ``port``."""
    return {c.pid for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}


def find_mislabels(page: Page) -> None:
    """Evaluate: press "Look for mislabeled rows" and see its answer (it once never came inside the server)."""
    ui.go_to(page, "Evaluate")
    page.get_by_role("button", name="Look for mislabeled rows").click()
    answer = page.get_by_text("No row looks mislabeled.").or_(page.get_by_text("probably mislabeled"))
    expect(answer.first).to_be_visible(timeout=90_000)
    ui.wait_idle(page)
    ui.expect_no_traceback(page)


def test_kill_the_server_mid_run_restart_it_on_the_same_port_and_resume_at_once(
        browser: Browser, e2e_model: Path, tmp_path: Path) -> None:
    env = server_env(tmp_path, TUNEBOARD_MODELS_DIR=str(e2e_model.parent), TUNEBOARD_UPLOADS_DIR=str(tmp_path / "up"))
    env.pop("TUNEBOARD_STALE_S", None)
    runs_root, port = tmp_path / "runs", free_port()
    mine = tmp_path / "my_tickets.csv"  # the person's own file: its name must follow the run
    shutil.copyfile(DEMO, mine)
    procs: list[subprocess.Popen] = []
    first, second = contextlib.ExitStack(), contextlib.ExitStack()
    context = None
    try:
        first.enter_context(streamlit_server(env, ARTIFACTS / "crash-server-1.log", procs=procs, port=port))
        server = procs[0]
        context = browser.new_context(base_url=f"http://127.0.0.1:{port}", viewport={"width": 1440, "height": 900})
        context.set_default_timeout(30_000)
        page = context.new_page()
        ui.choose_upload(page, mine)
        ui.start_training(page, e2e_model, epochs=2, timeout=RUN_TIMEOUT)
        expect(page.get_by_text("Training finished")).to_be_visible(timeout=RUN_TIMEOUT)
        find_mislabels(page)
        assert psutil.Process(server.pid).children(recursive=True) == [], "the server started a process"
        assert listeners(port) == {server.pid}, "another process holds the server's port"

        ui.go_to(page, "Train")
        run_id = ui.start_training(page, e2e_model, epochs=LONG_EPOCHS, timeout=RUN_TIMEOUT)
        run = runs_root / run_id
        wait_until(lambda: (run / "checkpoint" / "latest.json").is_file(), 120, "the first evaluation's checkpoint")
        assert json.loads((run / "status.json").read_text())["status"] == "running"

        os.kill(server.pid, signal.SIGKILL)  # kill -9 of the server, and only of it
        server.wait(30)
        killed_at = time.monotonic()
        second.enter_context(streamlit_server(env, ARTIFACTS / "crash-server-2.log", port=port))  # the same port

        page.goto(f"/train?run={run_id}")
        ui.wait_idle(page)
        # its own file, not the demo (.first: while a rerun draws, the panel it replaces can still be on the page)
        expect(page.get_by_text("This run's data: my_tickets.csv").first).to_be_visible()
        resume = ui.key(page, "train_resume").get_by_role("button")
        expect(resume).to_be_visible()
        resumed_after = time.monotonic() - killed_at
        resume.click()
        expect(page.get_by_text("Training finished")).to_be_visible(timeout=RUN_TIMEOUT)
        expect(page.get_by_text("This run's data: my_tickets.csv").first).to_be_visible()
        ui.expect_no_traceback(page)
        assert json.loads((run / "status.json").read_text())["status"] == "completed"
        starts = [e for e in map(json.loads, (run / "history.jsonl").read_text().splitlines()) if e["type"] == "start"]
        assert len(starts) == 2, "the run should have gone on from its checkpoint once"
        print(f"crash: Resume pressed {resumed_after:.1f} s after the kill (liveness window 30 s)")
    finally:
        if context is not None:
            with contextlib.suppress(Exception):
                context.pages[0].screenshot(path=str(ARTIFACTS / "crash.png"), full_page=True)
            context.close()
        second.close()
        first.close()
        for proc in procs:  # whatever the killed server left in its process group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.parametrize("address", ["", "0.0.0.0"], ids=["empty", "any"])
def test_a_single_user_server_on_every_interface_refuses_in_the_browser_and_the_terminal(
        browser: Browser, tmp_path: Path, address: str) -> None:
    log = tmp_path / "server.log"
    with streamlit_server(server_env(tmp_path), log, address=address) as url:
        context = browser.new_context(base_url=url)
        try:
            page = context.new_page()
            page.goto("/")
            expect(page.get_by_text("not in team mode")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("button")).to_have_count(0)
        finally:
            context.close()
        wait_until(lambda: "refuses every page" in log.read_text(errors="replace"), 30, "the refusal in the terminal")
