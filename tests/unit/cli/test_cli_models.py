"""``python -m tuneboard model promote|list|rollback`` and ``serve --model``: one line per outcome, exit 2 on a
problem, never a traceback."""
from __future__ import annotations

import json

import pytest

from tests.conftest import DEMO
from tuneboard.cli.main import main
from tuneboard.config import TrainConfig
from tuneboard.train.pipeline import execute


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_DB", str(tmp_path / "tuneboard.db"))
    return [execute(TrainConfig(data=str(DEMO), model="tfidf", seed=s)).run for s in range(2)]


def test_promote_list_and_roll_back_from_the_shell(runs, capsys):
    assert main(["model", "promote", runs[0].run_id, "--name", "router", "--alias", "production"]) == 0
    assert capsys.readouterr().out.strip() == f"Run {runs[0].run_id} is now router/1 (production)."
    assert main(["model", "promote", str(runs[1].path), "--name", "router", "--alias", "production"]) == 0
    capsys.readouterr()
    assert main(["model", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == "router" and listed[0]["aliases"] == {"production": 2}
    assert [v["run_id"] for v in listed[0]["versions"]] == [runs[0].run_id, runs[1].run_id]
    assert main(["model", "rollback", "router"]) == 0
    assert "production is version 1 again" in capsys.readouterr().out
    assert main(["model", "list"]) == 0
    out = capsys.readouterr().out
    assert "router" in out and "[production]" in out.splitlines()[-1]


def test_mistakes_are_one_line_on_stderr_with_exit_code_2(runs, capsys):
    assert main(["model", "rollback", "nothing"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: There is no model named nothing") and len(err.strip().splitlines()) == 1
    assert main(["model", "promote", runs[0].run_id, "--name", "Bad Name"]) == 2
    assert "not a usable model name" in capsys.readouterr().err
    assert main(["serve"]) == 2
    assert "--model NAME" in capsys.readouterr().err


def test_serve_model_serves_the_name(runs, capsys, monkeypatch):
    import uvicorn

    started: list = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(app))  # nothing binds in this test
    main(["model", "promote", runs[0].run_id, "--name", "router", "--alias", "production"])
    assert main(["serve", "--model", "router", "--port", "8123"]) == 0
    assert "serving router" in capsys.readouterr().out and started[0].title == "Tuneboard: router"
