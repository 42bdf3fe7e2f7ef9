"""Team mode: one Tuneboard server on the network, every page behind the team's identity provider.

``python -m tuneboard.team.server`` (``make serve-team``) checks the ``[auth]`` section of the Streamlit secrets
first and refuses to start, with one line saying what is missing and exit code 2, when login is not
configured; otherwise it becomes ``streamlit run app.py`` on 0.0.0.0 with ``TUNEBOARD_TEAM=1``. The app
reads the same settings through the same functions (``team_mode``, ``auth_problem``), so a server
started by hand with ``TUNEBOARD_TEAM=1`` and no login configured shows the same message and nothing else.

Settings (all optional except ``[auth]``) in ``.streamlit/secrets.toml``::

    [tuneboard]
    team = true                        # same as TUNEBOARD_TEAM=1
    admins = ["ops@example.com"]       # merged with TUNEBOARD_ADMINS
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from tuneboard.errors import ConfigError
from tuneboard.i18n import t
from tuneboard.paths import PROJECT
from tuneboard.server_settings import TEAM, load_secrets, secrets_files, server_settings

ROOT = PROJECT
EXAMPLE_FILE = ROOT / ".streamlit" / "secrets.example.toml"
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
MIN_COOKIE_SECRET = 32  # characters; Streamlit signs the login cookie with it (token_hex(32) gives 64)


def team_mode(secrets: Mapping[str, Any] | None = None) -> bool:
    """Whether this server is shared: ``TUNEBOARD_TEAM=1`` or ``[tuneboard] team = true``."""
    return server_settings(secrets).team


def admin_setting(secrets: Mapping[str, Any] | None) -> list[str]:
    """The ``[tuneboard] admins`` list (ids or e-mail addresses)."""
    return server_settings(secrets).secret_admins


def providers(auth: Mapping[str, Any]) -> list[str]:
    """Configured providers: ``"default"`` when ``[auth]`` holds the keys itself, then each ``[auth.NAME]``."""
    named = [name for name, value in auth.items() if isinstance(value, Mapping) and name != "client_kwargs"]
    return (["default"] if any(k in auth for k in PROVIDER_KEYS) else []) + named


def auth_problems(secrets: Mapping[str, Any]) -> list[str]:
    """Everything that keeps login from working, each one sentence, all at once (one start attempt names all
    that is left to fill in); empty when ``[auth]`` is complete. A value copied unchanged from the example file
    is as good as missing: the example's client id and secret log nobody in, and its cookie secret is public."""
    auth = secrets.get("auth")
    if not isinstance(auth, Mapping) or not auth:
        return [t("journeys.team.no_auth")]
    found, copied = [], {"[auth]": []}  # where -> keys still holding a placeholder, said once per section
    redirect = str(auth.get("redirect_uri", "")).strip()
    if not redirect.endswith("/oauth2callback"):
        found.append(t("journeys.team.redirect_uri"))
    elif placeholder("redirect_uri", redirect):
        copied["[auth]"].append("redirect_uri")
    cookie = str(auth.get("cookie_secret", "")).strip()
    if len(cookie) < MIN_COOKIE_SECRET:
        found.append(t("journeys.team.cookie_secret", length=MIN_COOKIE_SECRET))
    elif placeholder("cookie_secret", cookie):
        copied["[auth]"].append("cookie_secret")
    names = providers(auth)
    if not names:
        found.append(t("journeys.team.no_provider"))
    for name in names:
        section, where = (auth, "[auth]") if name == "default" else (auth[name], f"[auth.{name}]")
        missing = [k for k in PROVIDER_KEYS if not str(section.get(k, "")).strip()]
        if missing:
            found.append(t("journeys.team.missing", where=where, keys=", ".join(missing)))
        copied.setdefault(where, []).extend(k for k in PROVIDER_KEYS
                                            if k not in missing and placeholder(k, str(section[k])))
        if "_" in name:
            found.append(t("journeys.team.underscore", where=where))
    found += [t("journeys.team.placeholders", where=where, keys=", ".join(keys))
              for where, keys in copied.items() if keys]
    return found


def auth_problem(secrets: Mapping[str, Any]) -> str | None:
    """What is missing for login to work, all of it in one line, or None when ``[auth]`` is complete."""
    return " ".join(auth_problems(secrets)) or None


PLACEHOLDER = re.compile(r"replace-me|YOUR-|\.\.\.")  # the example file's fill-in markers


@lru_cache(maxsize=1)
def example_values() -> dict[str, str]:
    """The example file's values of the keys a person must replace (its provider URL is a real one)."""
    try:
        auth = tomllib.loads(EXAMPLE_FILE.read_text(encoding="utf-8")).get("auth", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {k: str(auth[k]) for k in ("redirect_uri", "cookie_secret", "client_id", "client_secret") if auth.get(k)}


def placeholder(key: str, value: str) -> bool:
    """Whether ``value`` is a stand-in: the example file's own value for ``key``, or one of its fill-in markers."""
    value = value.strip()
    return value == example_values().get(key) or bool(PLACEHOLDER.search(value))


def listening_addresses(port: int) -> list[str]:
    """The addresses this process actually listens on at ``port`` (its own sockets, read with psutil)."""
    import psutil  # accelerate's dependency, so always installed

    try:
        sockets = psutil.Process().net_connections(kind="inet")
    except (psutil.Error, OSError):
        return []
    return [c.laddr.ip for c in sockets if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port]


def on_network(port: int, address: str | None = None) -> bool:
    """Whether other machines can reach this server on ``port``: decided from the sockets it actually listens on,
    so ``--server.address ""`` or ``0.0.0.0`` (every interface) is never read as this computer only. Only when no
    such socket can be seen, from the configured ``address``: empty, ``0.0.0.0`` and ``::`` are every interface."""
    bound = listening_addresses(port)
    if bound:
        return any(not _loopback(ip) for ip in bound)
    text = str(address or "").strip().strip("[]")
    return text != "localhost" and not _loopback(text)


def _loopback(address: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:  # "" (every interface) or a host name, which resolves to who knows what
        return False


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tuneboard.team.server",
                                description="Serve Tuneboard to a team: login required on every page.")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8501)))
    p.add_argument("--address", default="0.0.0.0", help="interface to listen on (default: every one)")
    p.add_argument("--secrets", type=Path, action="append",
                   help="secrets.toml to use instead of ~/.streamlit and ./.streamlit (repeatable)")
    p.add_argument("--check", action="store_true", help="only check the login settings; exit 0 or 2")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Check the login settings, then exec ``streamlit run app.py`` in team mode (never returns then)."""
    args = build_parser().parse_args(argv)
    files = [p.resolve() for p in args.secrets] if args.secrets else secrets_files(ROOT)
    try:
        problem = auth_problem(load_secrets(files))
    except ConfigError as e:
        problem = str(e)
    if problem:
        print(t("journeys.team.refuses", problem=problem), file=sys.stderr)
        return 2
    if args.check:
        print(t("journeys.team.configured"))
        return 0
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", args.address,
           "--server.port", str(args.port), "--server.headless", "true"]
    for path in args.secrets or ():
        cmd += ["--secrets.files", str(path.resolve())]
    os.chdir(ROOT)
    os.execve(sys.executable, cmd, {**os.environ, TEAM: "1"})
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
