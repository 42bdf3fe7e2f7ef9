"""A real Tuneboard server and a real browser, shared by the browser tests and ``bench/bench_app.py``.

``streamlit_server`` starts ``streamlit run app.py`` on a free port with private run/dataset folders,
waits for ``/_stcore/health`` and stops the whole process group afterwards. ``launch_chromium`` starts
Debian's Chromium (Playwright's own browser download is not available here; `make browser` installs
Debian's).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "support_tickets.csv"
CHROMIUM = os.environ.get("TUNEBOARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of a server that writes only under ``work`` and never goes online."""
    env = dict(os.environ)
    env.update(TUNEBOARD_RUNS_DIR=str(work / "runs"), TUNEBOARD_DATASETS_DIR=str(work / "datasets"),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               OMP_WAIT_POLICY="PASSIVE", PYTHONUNBUFFERED="1", **extra)
    return env


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], log: Path, timeout: float = 90.0,
                     started: list[float] | None = None, app: str = "app.py",
                     procs: list[subprocess.Popen] | None = None, port: int | None = None,
                     address: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app.py``; yield its URL once healthy. ``started`` receives the launch time (perf_counter),
    ``procs`` the server process; ``port`` (default: a free one) and ``address`` where it listens."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
           "--server.port", str(port), "--server.address", address, "--browser.gatherUsageStats", "false"]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        if started is not None:
            started.append(time.perf_counter())
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    if procs is not None:
        procs.append(proc)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log, timeout)
        yield url
    finally:
        stop_process_group(proc)


def write_team_secrets(path: Path, url: str, provider: str) -> Path:
    """A secrets.toml whose [auth] logs in through the OIDC provider at ``provider`` for a server at ``url``.
    The cookie secret is fixed per file, so a server restarted with the same file keeps everyone logged in."""
    import secrets

    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "tuneboard"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n')
    return path


@contextlib.contextmanager
def team_server(env: dict[str, str], port: int, secrets_file: Path, log: Path, timeout: float = 90.0) -> Iterator[str]:
    """``python -m tuneboard.team.server`` (login required) on 127.0.0.1:``port``; yield its URL once healthy.
    The log is appended to, so a restarted server's log follows the first one's."""
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "tuneboard.team.server", "--port", str(port), "--address", "127.0.0.1",
           "--secrets", str(secrets_file)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(url, proc, log, timeout)
        yield url
    finally:
        stop_process_group(proc)


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode} before it was healthy:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)  # polling a socket, not waiting for the UI
    raise RuntimeError(f"streamlit was not healthy after {timeout:.0f} s:\n{_tail(log)}")


def stop_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM the server's own process group (it was started in a new session), then SIGKILL."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def stop_deployments(work: Path) -> None:
    """SIGTERM every prediction API the server under ``work`` started and left running (tuneboard/serve/deploy.py
    records each in <work>/deployments/<run>.json; each is the leader of its own process group)."""
    import json

    for record in (work / "deployments").glob("*.json"):
        with contextlib.suppress(OSError, ValueError, KeyError):
            pid = int(json.loads(record.read_text())["pid"])
            if b"serve" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.killpg(pid, signal.SIGTERM)


def launch_args(executable: str | None = None) -> dict[str, Any]:
    """Keyword arguments of ``playwright.chromium.launch`` for Debian's Chromium (or ``executable``)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}. Run `make browser` (apt-get install chromium) "
                           "or set TUNEBOARD_CHROMIUM to a Chromium binary.")
    return {"executable_path": executable or CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


def _tail(log: Path, n: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"
