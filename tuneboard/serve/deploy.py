"""Start and stop a run's prediction API as a subprocess the app keeps track of (one port per model).

Each deployment is a ``python -m tuneboard serve`` process; its record (pid, port, backend, log file)
is ``models/deployments/<run_id>.json``, so a restarted app still sees, and can stop, what it started.
A start holds the deployments folder's lock from "is it served?" to the record being written, so two
Start presses (two tabs, two people) launch one server, and two runs never pick the same port. Every
server carries its run in its environment (``SERVES``), so Stop finds each one even when no record
names it.
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

from tuneboard import server_settings
from tuneboard.errors import RunError
from tuneboard.files import locked, open_private, private_dir, read_json, write_json_atomic
from tuneboard.i18n import t
from tuneboard.paths import PROJECT, workspace
from tuneboard.runs.folder import open_run, runs_root
from tuneboard.team import access

FIRST_PORT = 8100
PROJECT = PROJECT
SERVES = server_settings.SERVES  # in a server's environment: the resolved path of the run it serves


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
    return workspace().deployments


def record_path(run_id: str) -> Path:
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
        dep = Deployment(**json.loads(record_path(run_id).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    # Between fork and exec a fresh child still shows the parent's command line: give it a few seconds.
    starting = time.time() - dep.started_at < 10 and Path(f"/proc/{dep.pid}").exists()
    if not (_alive(dep.pid) or starting):
        with locked(state_dir()):  # not a record a start wrote meanwhile
            if _record_pid(run_id) == dep.pid:
                record_path(run_id).unlink(missing_ok=True)
        return None
    return dep


def _record_pid(run_id: str) -> int | None:
    try:
        return int(read_json(record_path(run_id))["pid"])
    except (OSError, ValueError, TypeError, KeyError):
        return None


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
    raise RunError(t("engine.err.deploy.no_port", low=start, high=start + 199))


def start_deployment(run_path: str | Path, backend: str = "torch", port: int | None = None,
                     api_keys: str | None = None, store_texts: bool = False, *, user: access.User) -> Deployment:
    """Serve the run in a subprocess (or return the one already serving it). Only the run's owner or an
    admin may (``PermissionDenied`` otherwise): an API serves the run's model to whoever can reach the port."""
    run = open_run(run_path)
    access.check(user, "deploy", run.path)
    return _launch(run.run_id, run.path, [str(run.path)], backend, port, api_keys, store_texts)


def start_named(name: str, backend: str = "torch", port: int | None = None, api_keys: str | None = None,
                store_texts: bool = False, *, user: access.User) -> Deployment:
    """Serve the production version of the named model ``name`` (``serve --model``): the server follows the
    registry, so a promotion or a rollback needs no restart. The name's owner's or an admin's call."""
    from tuneboard.registry.book import Registry
    from tuneboard.serve.named import served_folder

    registry = Registry()
    access.require(user, "deploy", registry.model(name).owner)
    registry.resolve(name)  # no production version: say so now, not in the server's log
    return _launch(named_id(name), private_dir(served_folder(name)), ["--model", name], backend, port, api_keys,
                   store_texts)


def named_id(name: str) -> str:
    """The deployment id of a name served by name (``model.<name>``: never a run id, which starts with a date)."""
    return f"model.{name}"


def _launch(run_id: str, path: Path, what: list[str], backend: str, port: int | None, api_keys: str | None,
            store_texts: bool) -> Deployment:
    folder = private_dir(state_dir())
    with locked(folder):
        existing = get_deployment(run_id)
        if existing is not None:
            return existing
        port = port or free_port()
        log = log_path(run_id)
        cmd = [sys.executable, "-m", "tuneboard", "serve", *what, "--port", str(port), "--backend", backend]
        cmd += (["--api-keys", str(api_keys)] if api_keys else []) + (["--store-texts"] if store_texts else [])
        # A deployment outlives the app on purpose (its record lets a restarted app see and stop it), so it does
        # not watch its parent; close_fds (the default, said here) keeps the app's listening socket out of it, so
        # it never blocks the app's next start on the same port.
        with open_private(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT, start_new_session=True,
                                    close_fds=True, env={**os.environ, server_settings.RUNS_DIR: str(runs_root()),
                                                         SERVES: str(path.resolve())})
        dep = Deployment(run_id, str(path), port, backend, proc.pid, time.time(), str(log), api_keys=api_keys)
        write_json_atomic(record_path(run_id), asdict(dep))
    return dep


def stop_deployment(run_id: str, wait_s: float = 10.0, *, user: access.User) -> bool:
    """Stop every server of the run (SIGTERM, then SIGKILL): the one its record names and any other
    this app started for it; False when none was running. Owner or admin only."""
    try:
        run_path = Path(read_json(record_path(run_id))["run_path"])
    except (OSError, ValueError, TypeError, KeyError):
        run_path = runs_root() / run_id
    return _stop(run_id, run_path, wait_s, lambda: access.check(user, "deploy", run_path))


def stop_named(name: str, wait_s: float = 10.0, *, user: access.User) -> bool:
    """Stop the server of ``name`` served by name; False when none ran. The name's owner or an admin."""
    from tuneboard.registry.book import Registry
    from tuneboard.serve.named import served_folder

    owner = Registry().model(name).owner
    return _stop(named_id(name), served_folder(name), wait_s, lambda: access.require(user, "deploy", owner))


def _stop(run_id: str, run_path: Path, wait_s: float, allowed: Any) -> bool:
    dep = get_deployment(run_id)
    pids = set(servers(run_path)) | ({dep.pid} if dep is not None else set())
    if not pids:
        record_path(run_id).unlink(missing_ok=True)
        return False
    allowed()
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.time() + wait_s
    while time.time() < deadline and any(_exists(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _exists(pid):
            _signal(pid, signal.SIGKILL)
            _exists(pid)  # reap it
    record_path(run_id).unlink(missing_ok=True)
    return True


def servers(run_path: str | Path) -> list[int]:
    """The pids of the servers this app started for the run at ``run_path`` that still run (Linux: read from
    /proc; only our own user's processes show their environment, and only they could be stopped anyway)."""
    tag = f"{SERVES}={Path(run_path).resolve()}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if tag in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, ValueError):  # gone meanwhile, or another user's
            continue
    return sorted(found)


def log_path(run_id: str) -> Path:
    """The server log of the run's deployment (kept after a stop, for the Deploy page's last lines)."""
    return state_dir() / f"{run_id}.log"


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:  # it ended meanwhile
        pass


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
    key = server_settings.API_KEY  # the client's variable, named in the snippets
    auth_curl = f' -H "Authorization: Bearer ${key}"' if with_key else ""
    auth_py = f', headers={{"Authorization": f"Bearer {{os.environ[\'{key}\']}}"}}' if with_key else ""
    token = f', token=os.environ["{key}"]' if with_key else ""
    imports = "import os\n" if with_key else ""
    return {
        "curl": f"curl -s {url}/predict -H 'Content-Type: application/json'{auth_curl} \\\n  -d '{body}'",
        "requests": f"{imports}import requests\n\nr = requests.post(\"{url}/predict\", json={{\"inputs\": {text!r}}}"
                    f"{auth_py})\nprint(r.json())",
        "InferenceClient": f"{imports}from huggingface_hub import InferenceClient\n\n"
                           f"client = InferenceClient(model=\"{url}/predict\"{token})\n"
                           f"print(client.text_classification({text!r}))",
    }
