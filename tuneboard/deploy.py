"""Start and stop a run's prediction API as a subprocess the app keeps track of (one port per model).

Each deployment is a ``python -m tuneboard serve`` process; its record (pid, port, backend, log file)
is ``models/deployments/<run_id>.json``, so a restarted app still sees, and can stop, what it started.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import access
from .errors import RunError
from .runs import open_run, runs_root

FIRST_PORT = 8100
PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class Deployment:
    """A served run: where it listens and which process serves it."""

    run_id: str
    run_path: str
    port: int
    backend: str
    pid: int
    started_at: float
    log: str
    host: str = "127.0.0.1"
    api_keys: str | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def state_dir() -> Path:
    return runs_root().parent / "deployments"


def _record(run_id: str) -> Path:
    return state_dir() / f"{run_id}.json"


def _alive(pid: int) -> bool:
    """The pid runs *our* server (a recycled pid running something else does not count)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    return b"tuneboard" in cmd and b"serve" in cmd


def get_deployment(run_id: str) -> Deployment | None:
    try:
        dep = Deployment(**json.loads(_record(run_id).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    # Between fork and exec a fresh child still shows the parent's command line: give it a few seconds.
    starting = time.time() - dep.started_at < 10 and Path(f"/proc/{dep.pid}").exists()
    if not (_alive(dep.pid) or starting):
        _record(run_id).unlink(missing_ok=True)
        return None
    return dep


def list_deployments() -> list[Deployment]:
    folder = state_dir()
    found = [get_deployment(p.stem) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return [d for d in found if d is not None]


def free_port(start: int = FIRST_PORT, host: str = "127.0.0.1") -> int:
    """The first port from ``start`` that no deployment holds and nothing listens on."""
    taken = {d.port for d in list_deployments()}
    for port in range(start, start + 200):
        if port in taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            if s.connect_ex((host, port)) != 0:
                return port
    raise RunError(f"No free port between {start} and {start + 199}. Stop a deployment, then start again.")


def start_deployment(run_path: str | Path, backend: str = "torch", port: int | None = None,
                     api_keys: str | None = None, store_texts: bool = False, *, user: access.User) -> Deployment:
    """Serve the run in a subprocess (or return the one already serving it). Only the run's owner or an
    admin may (``PermissionDenied`` otherwise): an API serves the run's model to whoever can reach the port."""
    run = open_run(run_path)
    access.check(user, "deploy", run.path)
    existing = get_deployment(run.run_id)
    if existing is not None:
        return existing
    port = port or free_port()
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{run.run_id}.log"
    cmd = [sys.executable, "-m", "tuneboard", "serve", str(run.path), "--port", str(port), "--backend", backend]
    cmd += (["--api-keys", str(api_keys)] if api_keys else []) + (["--store-texts"] if store_texts else [])
    # A deployment outlives the app on purpose (its record lets a restarted app see and stop it), so it does
    # not watch its parent; close_fds (the default, said here) keeps the app's listening socket out of it, so
    # it never blocks the app's next start on the same port.
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT, start_new_session=True,
                                close_fds=True, env={**os.environ, "TUNEBOARD_RUNS_DIR": str(runs_root())})
    dep = Deployment(run.run_id, str(run.path), port, backend, proc.pid, time.time(), str(log), api_keys=api_keys)
    tmp = folder / f".{run.run_id}.json.tmp"
    tmp.write_text(json.dumps(asdict(dep)), encoding="utf-8")
    os.replace(tmp, _record(run.run_id))
    return dep


def stop_deployment(run_id: str, wait_s: float = 10.0, *, user: access.User) -> bool:
    """Stop the run's server (SIGTERM, then SIGKILL); False when it was not running. Owner or admin only."""
    dep = get_deployment(run_id)
    if dep is None:
        return False
    access.check(user, "deploy", dep.run_path)
    os.kill(dep.pid, signal.SIGTERM)
    deadline = time.time() + wait_s
    while time.time() < deadline and _exists(dep.pid):
        time.sleep(0.1)
    if _exists(dep.pid):
        os.kill(dep.pid, signal.SIGKILL)
        _exists(dep.pid)  # reap it
    _record(run_id).unlink(missing_ok=True)
    return True


def _exists(pid: int) -> bool:
    """The process is still there (reaping it first when it is our finished child, not to count a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return Path(f"/proc/{pid}").exists() if Path("/proc").is_dir() else _alive(pid)


def health(dep: Deployment, timeout: float = 1.0) -> dict[str, Any] | None:
    """The server's ``/health`` answer, or None while it is starting (or has failed: see its log)."""
    try:
        with urllib.request.urlopen(f"{dep.url}/health", timeout=timeout) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


def log_tail(dep: Deployment, lines: int = 20) -> str:
    try:
        return "\n".join(Path(dep.log).read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def snippets(url: str, text: str = "where is my parcel?", with_key: bool = False) -> dict[str, str]:
    """Copy-paste calls of the API: curl, Python requests, and huggingface_hub's InferenceClient."""
    body = json.dumps({"inputs": text})
    auth_curl = ' -H "Authorization: Bearer $TUNEBOARD_API_KEY"' if with_key else ""
    auth_py = ', headers={"Authorization": f"Bearer {os.environ[\'TUNEBOARD_API_KEY\']}"}' if with_key else ""
    token = ', token=os.environ["TUNEBOARD_API_KEY"]' if with_key else ""
    imports = "import os\n" if with_key else ""
    return {
        "curl": f"curl -s {url}/predict -H 'Content-Type: application/json'{auth_curl} \\\n  -d '{body}'",
        "requests": f"{imports}import requests\n\nr = requests.post(\"{url}/predict\", json={{\"inputs\": {text!r}}}"
                    f"{auth_py})\nprint(r.json())",
        "InferenceClient": f"{imports}from huggingface_hub import InferenceClient\n\n"
                           f"client = InferenceClient(model=\"{url}/predict\"{token})\n"
                           f"print(client.text_classification({text!r}))",
    }
