"""Named models: versions of finished runs, production and candidate aliases, rollback, an append-only history,
the owner's rules, and the same database file as the queue."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import DEMO
from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError, PermissionDenied, RunError
from tuneboard.protocol import RunStatus
from tuneboard.registry import Registry
from tuneboard.runs import RunStore, create_run
from tuneboard.team import User, record_owner
from tuneboard.train.pipeline import execute

ALICE, BOB, ADMIN = User("alice@x.org"), User("bob@x.org"), User("root@x.org", is_admin=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three finished TF-IDF runs (seconds each)."""
    out = tmp_path_factory.mktemp("registry-runs")
    return [execute(TrainConfig(data=str(DEMO), model="tfidf", seed=s, output_dir=str(out))).run.path
            for s in range(3)]


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "tuneboard.db")


def test_promoting_numbers_versions_and_an_alias_resolves_to_its_run(registry, trained):
    v1 = registry.promote(trained[0], "ticket-router", alias="production", note="first")
    v2 = registry.promote(trained[1], "ticket-router", alias="candidate")
    assert (v1.version, v2.version) == (1, 2)
    assert registry.resolve("ticket-router").run_id == trained[0].name
    assert registry.resolve("ticket-router", "candidate").label == "ticket-router/2"
    model = registry.list_models()[0]
    assert model.aliases == {"production": 1, "candidate": 2} and model.versions[0].note == "first"
    assert registry.state("ticket-router") == (1, 2, "shadow", 10)


def test_making_the_candidate_production_clears_the_candidate(registry, trained):
    registry.promote(trained[0], "router", alias="production")
    registry.promote(trained[1], "router", alias="candidate")
    registry.set_alias("router", 2, "production")
    assert registry.state("router")[:2] == (2, None)


def test_rollback_goes_back_one_production_at_a_time_or_to_a_named_version(registry, trained):
    for path in trained:
        registry.promote(path, "router", alias="production")
    assert registry.rollback("router").version == 2
    assert registry.rollback("router").version == 1
    with pytest.raises(RunError, match="no earlier production"):
        registry.rollback("router")
    assert registry.rollback("router", to=3).version == 3
    with pytest.raises(ConfigError, match="already production"):
        registry.rollback("router", to=3)


def test_history_says_who_did_what_from_which_version_to_which_and_cannot_be_rewritten(registry, trained):
    registry.promote(trained[0], "router", alias="production")
    registry.promote(trained[1], "router", alias="production")
    registry.rollback("router")
    moves = [(e.action, e.alias, e.from_version, e.to_version, e.user) for e in registry.history("router")]
    assert moves == [("promote", None, None, 1, "local"), ("alias", "production", None, 1, "local"),
                     ("promote", None, None, 2, "local"), ("alias", "production", 1, 2, "local"),
                     ("rollback", "production", 2, 1, "local")]
    with sqlite3.connect(registry.path) as db, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM model_history")


def test_only_the_owner_of_the_run_and_of_the_name_or_an_admin_may_change_it(registry, trained, tmp_path):
    record_owner(trained[0], ALICE)
    record_owner(trained[1], BOB)
    with pytest.raises(PermissionDenied):
        registry.promote(trained[0], "router", BOB)  # alice's run
    registry.promote(trained[0], "router", ALICE, alias="production")
    with pytest.raises(PermissionDenied):
        registry.promote(trained[1], "router", BOB)  # his run, but alice's name
    with pytest.raises(PermissionDenied):
        registry.rollback("router", BOB)
    with pytest.raises(PermissionDenied):
        registry.set_alias("router", 1, "candidate", BOB)
    registry.promote(trained[1], "router", ADMIN, alias="candidate")
    assert registry.model("router").owner == ALICE.id and registry.state("router")[:2] == (1, 2)


def test_an_unfinished_run_is_refused_with_one_line_that_says_why(registry, tmp_path):
    run = create_run(TrainConfig(data=str(DEMO), model="tfidf", output_dir=str(tmp_path / "runs")))
    run.set_status(RunStatus.RUNNING)
    with pytest.raises(RunError, match="only a finished run with a saved model can be promoted") as e:
        registry.promote(run.path, "router")
    assert "\n" not in str(e.value)
    assert registry.list_models() == []


def test_bad_names_and_aliases_are_refused(registry, trained):
    with pytest.raises(ConfigError, match="not a usable model name"):
        registry.promote(trained[0], "../Router")
    with pytest.raises(ConfigError, match="Unknown alias"):
        registry.promote(trained[0], "router", alias="staging")
    registry.promote(trained[0], "router")
    with pytest.raises(ConfigError, match="already version 1"):
        registry.promote(trained[0], "router")


def test_the_registry_lives_in_the_queues_database(tmp_path, trained, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_DB", str(tmp_path / "shared.db"))
    store = RunStore()
    store.add("r1", tmp_path / "r1", "local")
    from tuneboard import registry

    registry.promote(trained[0], "router", alias="production")
    assert registry.resolve("router").run_id == trained[0].name
    with sqlite3.connect(tmp_path / "shared.db") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"runs", "models", "model_versions", "model_aliases", "model_history"} <= tables
    assert store.get("r1") is not None


def test_the_candidates_traffic_is_shadow_or_a_canary_share(registry, trained):
    registry.promote(trained[0], "router", alias="production")
    registry.set_traffic("router", "canary", 25)
    assert registry.state("router")[2:] == ("canary", 25)
    with pytest.raises(ConfigError):
        registry.set_traffic("router", "canary", 140)
    with pytest.raises(ConfigError):
        registry.set_traffic("router", "mirror")


def test_names_and_aliases_are_mirrored_into_mlflows_model_registry_when_tracking_is_on(registry, trained, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    registry.promote(trained[0], "router", alias="production")
    registry.promote(trained[1], "router", alias="candidate")
    registry.set_alias("router", 2, "production")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    production = client.get_model_version_by_alias("router", "production")
    assert production.tags["tuneboard.version"] == "2" and production.tags["tuneboard.run_id"] == trained[1].name
    assert "candidate" not in client.get_registered_model("router").aliases


def test_a_failing_mlflow_never_fails_the_promotion(registry, trained, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    assert registry.promote(trained[0], "router", alias="production").version == 1
    assert "copying router to MLflow failed" in capsys.readouterr().err


def test_a_run_that_production_or_the_candidate_serves_cannot_be_deleted_until_the_alias_moves(tmp_path, monkeypatch):
    from tuneboard.lifecycle.purge import delete_for_good

    monkeypatch.setenv("TUNEBOARD_DB", str(tmp_path / "tuneboard.db"))
    runs = [execute(TrainConfig(data=str(DEMO), model="tfidf", seed=s)).run for s in range(2)]
    registry = Registry()
    registry.promote(runs[0].path, "router", alias="production")
    registry.promote(runs[1].path, "router", alias="production")
    with pytest.raises(RunError, match="router/2, the production version"):
        delete_for_good(runs[1])
    assert runs[1].path.is_dir()
    delete_for_good(runs[0])  # version 1 has no alias now: it may go
    assert not runs[0].path.exists()
