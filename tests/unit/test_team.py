"""Team mode refuses to start without login configured (tuneboard/team.py, `make serve-team`)."""
import subprocess
import sys
from pathlib import Path

import pytest

from tuneboard import team

ROOT = Path(__file__).resolve().parents[2]
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
    return subprocess.run([sys.executable, "-m", "tuneboard.team", *args], cwd=ROOT, env=env,
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


def test_the_example_secrets_file_is_complete_except_its_secret():
    import tomllib

    example = tomllib.loads((ROOT / ".streamlit" / "secrets.example.toml").read_text())
    assert "cookie_secret" in team.auth_problem(example)  # a published secret would let anyone forge a login
    example["auth"]["cookie_secret"] = "k" * 64
    assert team.auth_problem(example) is None and team.team_mode(example)
