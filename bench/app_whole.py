"""Start → "Training finished" in the app, browser closed, the way a user does it.

Run through ``bench_train.py --grid small --only app,...``. For one grid cell: a fresh ``streamlit run
app.py`` server and headless Chromium; the user opens the app, uploads the training CSV on the Data page,
picks "Separate file" and uploads the validation CSV, opens Train, sets the epochs and presses Start. The
clock starts at the click; once the live panel is up the page is closed (nobody watching: the
server's own speed) and the run folder is polled until its status is final. From the run's
history.jsonl: the first live point and the finish (the final status event), both after the click
(same clock: ``time.time()``). The server's CPU seconds from Start to the finish come from /proc
(``bench_app.process_cpu_s``).
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from tuneboard.protocol import FINAL  # noqa: E402

FINISH_TIMEOUT_S = 60 * 60


def app_process(train: Path, val: Path, epochs: int, preset: str) -> dict:
    """One run started from the Train page of a fresh server; wall from the Start click to the finish."""
    from bench_app import process_cpu_s
    from e2e import ui
    from e2e.harness import launch_args, server_env, streamlit_server
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=120_000)
    work = Path(tempfile.mkdtemp(prefix="tuneboard-app-whole-"))
    procs: list = []
    with sync_playwright() as pw, streamlit_server(server_env(work), work / "server.log", procs=procs) as url:
        browser = pw.chromium.launch(**launch_args())
        page = browser.new_page(base_url=url, viewport={"width": 1400, "height": 900})
        page.set_default_timeout(120_000)
        ui.open_app(page)
        ui.go_to(page, "Data")
        ui.upload(page, train)
        ui.wait_idle(page)
        ui.choose_radio(page, "data_val_mode", "Separate file")
        ui.key(page, "data_validation_upload").locator(
            '[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(val))
        ui.wait_idle(page)
        ui.expect_selected(page, "text_column", "sentence")
        ui.go_to(page, "Train")
        ui.choose_radio(page, "preset", preset)
        ui.set_advanced(page, epochs=epochs)
        server0 = process_cpu_s(procs[0].pid)
        clicked = time.time()
        ui.click_start(page)
        run_id = ui.wait_run_started(page)
        page.close()  # browser closed: nothing draws the live panel
        browser.close()
        run = work / "runs" / run_id
        status = _wait_final(run)
        server_cpu = process_cpu_s(procs[0].pid) - server0
    events = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines() if line.strip()]
    finished = next(e["time"] for e in reversed(events) if e["type"] == "status" and e.get("status") == status)
    first = next((e["time"] for e in events if e["type"] == "train"), float("nan"))
    metrics = json.loads((run / "metrics.json").read_text())
    return {"wall_s": finished - clicked, "cpu_s": server_cpu, "first_point_s": first - clicked,
            "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"], "status": status, "run": str(run)}


def _wait_final(run: Path) -> str:
    deadline = time.monotonic() + FINISH_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            status = json.loads((run / "status.json").read_text()).get("status")
        except (OSError, ValueError):
            status = None
        if status in {str(s) for s in FINAL}:
            return status
        time.sleep(0.2)
    raise RuntimeError(f"{run} did not finish")

