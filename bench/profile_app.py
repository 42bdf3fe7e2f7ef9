"""Where the time goes while the app trains: a window of a run started from the Train page.

    .venv/bin/python bench/profile_app.py                  # Train page open, live panel refreshing
    .venv/bin/python bench/profile_app.py --view blank     # same run, no page open (server alone)
    .venv/bin/python bench/profile_app.py --py-spy         # also a py-spy record of the server (pip install py-spy)

Starts the bundled model (`fast` preset, 20 epochs so the run outlasts the window) from the Train
page, waits for the first logged steps, then for ``--window`` seconds reads from /proc:
every server thread's CPU time and run-queue wait (``schedstat``), the server's whole CPU time, and
the browser's. A training thread with little CPU and little run-queue wait is sleeping: on a lock,
usually the GIL (py-spy's native stacks then show it in ``take_gil``/``pthread_cond_timedwait``).
This is how Streamlit's post-script ``gc.collect()`` was found holding the GIL ~75 % of the time.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_app import browser_cpu_s, process_cpu_s  # noqa: E402
from e2e import ui  # noqa: E402  (bench_app puts tests/ on the path)
from e2e.harness import launch_args, server_env, streamlit_server  # noqa: E402


def thread_times(pid: int) -> dict[tuple[int, str], tuple[float, float]]:
    """(tid, name) -> (seconds on CPU, seconds runnable but waiting for a CPU) for every thread."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            on_cpu, waiting = (int(v) / 1e9 for v in (task / "schedstat").read_text().split()[:2])
            out[(int(task.name), (task / "comm").read_text().strip())] = (on_cpu, waiting)
        except (OSError, ValueError):
            continue
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--view", choices=["train", "blank"], default="train",
                    help="keep the Train page open (default) or leave it for about:blank once training runs")
    ap.add_argument("--window", type=float, default=30.0, help="seconds to measure")
    ap.add_argument(
        "--py-spy", action="store_true", help="record the server with py-spy (native stacks) instead of idling"
    )
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="tuneboard-profile-"))
    procs: list = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_args())
        with streamlit_server(server_env(work), work / "server.log", procs=procs) as url:
            pid = procs[0].pid
            page = browser.new_page(base_url=url, viewport={"width": 1400, "height": 900})
            page.set_default_timeout(60_000)
            ui.open_app(page)
            ui.go_to(page, "Train")
            ui.choose_radio(page, "preset", "fast")
            page.get_by_text("Advanced settings").click()
            ui.set_input(page, "epochs", "20")
            ui.key(page, "start_training").get_by_role("button").click()
            history = _wait_for_steps(work / "runs", 2)
            if args.view == "blank":
                page.goto("about:blank")
            t0, server0, browser0, threads0 = time.time(), process_cpu_s(pid), browser_cpu_s(), thread_times(pid)
            if args.py_spy:
                spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
                os.system(f"{spy} record --pid {pid} -d {int(args.window)} -r 50 --threads --idle --native "
                          f"-f raw -o {work / 'py-spy.txt'} > /dev/null 2>&1")
            else:
                time.sleep(args.window)
            t1, server1, browser1, threads1 = time.time(), process_cpu_s(pid), browser_cpu_s(), thread_times(pid)
            page.close()
        browser.close()

    print(f"{t1 - t0:.0f} s window, view={args.view}: server process {server1 - server0:.1f} CPU-s, "
          f"browser {browser1 - browser0:.1f} CPU-s")
    deltas = sorted(((threads1[k][0] - threads0.get(k, (0, 0))[0], threads1[k][1] - threads0.get(k, (0, 0))[1], k)
                     for k in threads1), reverse=True)
    for on_cpu, waiting, (tid, name) in deltas[:6]:
        print(f"  thread {tid} {name}: {on_cpu:.1f} s on CPU, {waiting:.1f} s waiting for a CPU, "
              f"{max(0.0, t1 - t0 - on_cpu - waiting):.1f} s asleep")
    steps = [e for e in _events(history) if e["type"] == "train" and t0 <= e["time"] <= t1]
    if len(steps) > 1:
        print(f"  steps {steps[0]['step']}..{steps[-1]['step']} in the window "
              f"(batches differ in length: compare whole runs with bench_app.py, not windows)")
    if args.py_spy:
        print(f"  py-spy raw stacks: {work / 'py-spy.txt'}")
    return 0


def _wait_for_steps(runs: Path, n: int, timeout: float = 300.0) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for history in runs.glob("*/history.jsonl"):
            if sum(e["type"] == "train" for e in _events(history)) >= n:
                return history
        time.sleep(0.5)  # polling a file the server appends to
    raise RuntimeError(f"no training steps logged under {runs} after {timeout:.0f} s")


def _events(history: Path) -> list[dict]:
    return [json.loads(line) for line in history.read_text().splitlines() if line.strip()]


if __name__ == "__main__":
    sys.exit(main())
