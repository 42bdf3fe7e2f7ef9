"""Team mode refuses to start without login configured (tuneboard/team/server.py, `make serve-team`)."""
import subprocess
import sys
from pathlib import Path

import pytest

from tuneboard.team import server as team

ROOT = Path(__file__).resolve().parents[3]
GOOD = {"auth": {"redirect_uri": "https://tb.example.com/oauth2callback", "cookie_secret": "x" * 64,
                 "client_id": "id", "client_secret": "secret",
                 "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}}


def _without(key):
    return {"auth": {k: v for k, v in GOOD["auth"].items() if k != key}}


def test_a_complete_auth_section_passes():
    assert team.auth_problem(GOOD) is None
    assert team.providers(GOOD["auth"]) == ["default"]


@pytest.mark.parametrize("secrets, says", [
    ({}, "no [auth] section"),
    ({"auth": {}}, "no [auth] section"),
    (_without("redirect_uri"), "redirect_uri"),
    ({"auth": {**GOOD["auth"], "redirect_uri": "https://tb.example.com/"}}, "/oauth2callback"),
    (_without("cookie_secret"), "cookie_secret"),
    ({"auth": {**GOOD["auth"], "cookie_secret": "short"}}, "shorter than 32"),
    (_without("client_secret"), "[auth] is missing client_secret"),
    ({"auth": {k: GOOD["auth"][k] for k in ("redirect_uri", "cookie_secret")}}, "names no identity provider"),
    ({"auth": {k: GOOD["auth"][k] for k in ("redirect_uri", "cookie_secret")} | {"okta": {"client_id": "i"}}},
     "[auth.okta] is missing client_secret, server_metadata_url"),
])
def test_each_missing_piece_is_named_in_one_line(secrets, says):
    problem = team.auth_problem(secrets)
    assert problem is not None and says in problem and "\n" not in problem


def test_named_providers_are_listed():
    auth = {k: GOOD["auth"][k] for k in ("redirect_uri", "cookie_secret")}
    auth["okta"] = {k: GOOD["auth"][k] for k in team.PROVIDER_KEYS}
    auth["client_kwargs"] = {"prompt": "login"}
    assert team.providers(auth) == ["okta"] and team.auth_problem({"auth": auth}) is None


def test_team_mode_is_on_by_environment_or_setting(monkeypatch):
    monkeypatch.delenv("TUNEBOARD_TEAM", raising=False)
    assert not team.team_mode({}) and not team.team_mode({"tuneboard": {"team": "yes"}})
    assert team.team_mode({"tuneboard": {"team": True}})
    monkeypatch.setenv("TUNEBOARD_TEAM", "1")
    assert team.team_mode(None)
    assert team.admin_setting({"tuneboard": {"admins": ["a@x.com"]}}) == ["a@x.com"]


def test_later_secrets_files_override_earlier_ones(tmp_path):
    (tmp_path / "a.toml").write_text('[auth]\nredirect_uri = "x"\n[tuneboard]\nteam = true\n')
    (tmp_path / "b.toml").write_text('[auth]\nredirect_uri = "y"\n')
    merged = team.load_secrets([tmp_path / "a.toml", tmp_path / "missing.toml", tmp_path / "b.toml"])
    assert merged == {"auth": {"redirect_uri": "y"}, "tuneboard": {"team": True}}


def _launch(*args, home):
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "tuneboard.team.server", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_launcher_refuses_to_start_without_auth_and_exits_2(tmp_path):
    empty = tmp_path / "secrets.toml"
    empty.write_text('[tuneboard]\nteam = true\n')
    r = _launch("--secrets", str(empty), "--port", "1", home=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "refuses to start without login" in lines[0] and "[auth]" in lines[0]
    assert r.stdout == ""


def test_the_launcher_names_a_broken_secrets_file(tmp_path):
    broken = tmp_path / "secrets.toml"
    broken.write_text("[auth\n")
    r = _launch("--secrets", str(broken), home=tmp_path)
    assert r.returncode == 2 and "Cannot read the secrets file" in r.stderr and len(r.stderr.splitlines()) == 1


def test_the_launcher_check_passes_with_auth(tmp_path):
    good = tmp_path / "secrets.toml"
    good.write_text('[auth]\nredirect_uri = "http://127.0.0.1:8501/oauth2callback"\n'
                    f'cookie_secret = "{"s" * 64}"\nclient_id = "i"\nclient_secret = "c"\n'
                    'server_metadata_url = "http://127.0.0.1:1/.well-known/openid-configuration"\n')
    r = _launch("--check", "--secrets", str(good), home=tmp_path)
    assert r.returncode == 0 and "login is configured" in r.stdout


def example_file(tmp_path, **values):
    """The example secrets file with ``values`` filled in (each key's line replaced)."""
    import re

    text = (ROOT / ".streamlit" / "secrets.example.toml").read_text()
    for key, value in values.items():
        text = re.sub(rf"^{key} = .*$", f'{key} = "{value}"', text, count=1, flags=re.M)
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    return path


def test_the_example_file_with_only_its_cookie_secret_filled_is_not_configured(tmp_path):
    r = _launch("--check", "--secrets", str(example_file(tmp_path, cookie_secret="k" * 64)), home=tmp_path)
    assert r.returncode == 2 and r.stdout == "", r.stdout
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    for key in ("redirect_uri", "client_id", "client_secret"):  # the example's stand-ins, all named at once
        assert key in r.stderr
    assert "placeholder" in r.stderr and "server_metadata_url" not in r.stderr  # Google's URL is a real one


def test_a_half_filled_file_names_everything_that_is_missing_in_one_line(tmp_path):
    half = tmp_path / "half.toml"
    half.write_text('[auth]\nredirect_uri = "https://tb.acme.test/oauth2callback"\nclient_id = "tb"\n')
    r = _launch("--check", "--secrets", str(half), home=tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for key in ("cookie_secret", "client_secret", "server_metadata_url"):
        assert key in r.stderr


def test_the_example_file_filled_in_is_configured(tmp_path):
    filled = example_file(tmp_path, cookie_secret="k" * 64, redirect_uri="https://tb.acme.test/oauth2callback",
                          client_id="42-tb.apps.googleusercontent.com", client_secret="GOCSPX-a1b2c3")
    r = _launch("--check", "--secrets", str(filled), home=tmp_path)
    assert r.returncode == 0 and "login is configured" in r.stdout, r.stderr


@pytest.mark.parametrize("bind, network", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_the_network_guard_reads_the_socket_actually_bound_not_the_setting(bind, network):
    import socket

    with socket.socket() as s:
        s.bind((bind, 0))
        s.listen()
        port = s.getsockname()[1]
        assert team.on_network(port, "127.0.0.1" if network else "0.0.0.0") is network


@pytest.mark.parametrize("address, network", [("", True), ("0.0.0.0", True), ("::", True), ("[::1]", False),
                                              ("127.0.0.1", False), ("localhost", False), ("tb.acme.test", True)])
def test_without_a_socket_to_look_at_an_empty_address_means_every_interface(address, network):
    assert team.on_network(1, address) is network  # nothing of this process listens on port 1
