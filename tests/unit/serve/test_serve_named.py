"""Serving by name: the production version answers and says so, a promotion or a rollback swaps the model in
place under load with no failed request, a shadow candidate is logged and never returned, a canary gets its share."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import DEMO
from tuneboard.config import TrainConfig
from tuneboard.registry import Registry
from tuneboard.serve import monitor
from tuneboard.serve.api import create_app
from tuneboard.serve.named import served_folder
from tuneboard.train.pipeline import execute

TEXTS = ["where is my parcel? it is late", "I was charged twice", "the app crashes on login", "cancel my plan"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three finished TF-IDF runs (instant to train and to load: the swap is the point, not the model)."""
    out = tmp_path_factory.mktemp("named-runs")
    return [execute(TrainConfig(data=str(DEMO), model="tfidf", seed=s, output_dir=str(out))).run.path
            for s in range(3)]


@pytest.fixture
def registry(tmp_path: Path, trained: list[Path]) -> Registry:
    reg = Registry(tmp_path / "tuneboard.db")
    for path in trained:
        reg.promote(path, "router")
    reg.set_alias("router", 1, "production")
    return reg


def served_log(name: str):
    return monitor.read_log(served_folder(name))


def test_the_production_version_answers_and_every_answer_names_it(registry):
    with TestClient(create_app(model_name="router", registry=registry, poll_s=0.05)) as client:
        r = client.post("/predict", json={"inputs": TEXTS})
        assert r.status_code == 200 and r.headers["X-Model-Version"] == "router/1"
        assert {e["version"] for entry in r.json() for e in entry} == {"router/1"}
        assert client.get("/info").json()["version"] == "router/1"
        assert client.get("/health").json()["model"] == "router"
    assert set(served_log("router")["version"]) == {"router/1"}


def test_a_promotion_and_a_rollback_swap_the_model_under_load_with_no_failed_request(registry):
    import uvicorn

    app = create_app(model_name="router", registry=registry, poll_s=0.05)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    seen: list[str] = []
    errors: list[str] = []
    stop = threading.Event()

    def client(i: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                try:
                    r = http.post("/predict", json={"inputs": TEXTS[i % len(TEXTS)]})
                    seen.append(r.headers.get("X-Model-Version", "")) if r.status_code == 200 else \
                        errors.append(f"{r.status_code} {r.text}")
                except httpx.HTTPError as e:
                    errors.append(repr(e))

    def answered_by(label: str) -> None:
        start = len(seen)
        deadline = time.monotonic() + 30
        while label not in seen[start:]:
            assert time.monotonic() < deadline, f"{label} never answered"
            time.sleep(0.01)

    clients = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    try:
        for c in clients:
            c.start()
        answered_by("router/1")
        for version in (2, 3):  # two promotions, then a rollback: three swaps
            registry.set_alias("router", version, "production")
            answered_by(f"router/{version}")
        registry.rollback("router")
        answered_by("router/2")
    finally:
        stop.set()
        for c in clients:
            c.join()
        server.should_exit = True
        thread.join(timeout=30)
    assert errors == [] and len(seen) > 50
    assert {"router/1", "router/2", "router/3"} <= set(seen)


def test_a_shadow_candidate_is_logged_beside_production_and_never_returned(registry):
    registry.set_alias("router", 2, "candidate")
    with TestClient(create_app(model_name="router", registry=registry, poll_s=0.05)) as client:
        for text in TEXTS * 5:
            r = client.post("/predict", json={"inputs": text})
            assert r.headers["X-Model-Version"] == "router/1"
            assert {e["version"] for e in r.json()[0]} == {"router/1"}
        deadline = time.monotonic() + 10
        while client.get("/health").json()["shadowed"] < len(TEXTS) * 5:
            assert time.monotonic() < deadline, "the shadow did not answer every request"
            time.sleep(0.02)
    log = served_log("router")
    assert len(log) == len(TEXTS) * 5
    assert set(log["version"]) == {"router/1"} and set(log["shadow_version"]) == {"router/2"}
    assert log["shadow_label"].notna().all() and log["shadow_latency_ms"].notna().all()


def test_a_canary_answers_its_share_of_the_requests(registry):
    registry.set_alias("router", 3, "candidate")
    registry.set_traffic("router", "canary", 25)
    with TestClient(create_app(model_name="router", registry=registry, poll_s=0.05)) as client:
        answered = [client.post("/predict", json={"inputs": "refund please"}).headers["X-Model-Version"]
                    for _ in range(200)]
    share = answered.count("router/3") / len(answered)
    assert abs(share - 0.25) <= 0.02 and set(answered) == {"router/1", "router/3"}
    log = served_log("router")
    assert log["shadow_version"].isna().all() and (log["version"] == "router/3").sum() == answered.count("router/3")


def test_a_name_without_a_production_version_is_refused_with_what_to_do(tmp_path, trained):
    from tuneboard.errors import RunError

    reg = Registry(tmp_path / "other.db")
    reg.promote(trained[0], "fresh")
    with pytest.raises(RunError, match="no production version"):
        create_app(model_name="fresh", registry=reg)


def test_monitor_compares_production_and_the_shadow_on_the_same_texts_and_labels_decide(registry):
    from tuneboard.serve import add_labels, compare

    registry.set_alias("router", 2, "candidate")
    with TestClient(create_app(model_name="router", registry=registry, poll_s=0.05, store_texts=True)) as client:
        answers = {text: client.post("/predict", json={"inputs": text}).json()[0][0]["label"] for text in TEXTS}
        for text in TEXTS * 9:
            client.post("/predict", json={"inputs": text})
        deadline = time.monotonic() + 10
        while client.get("/health").json()["shadowed"] < len(TEXTS) * 10:
            assert time.monotonic() < deadline, "the shadow did not answer every request"
            time.sleep(0.02)
    before = compare("router", registry)
    assert before.mode == "shadow" and before.production.rows == before.candidate.rows == 40
    assert before.production.accuracy is None and before.verdict in ("safe", "label")
    add_labels("router", [{"text": k, "label": v} for k, v in answers.items()], registry=registry)  # production right
    after = compare("router", registry)
    assert after.production.accuracy == 1.0 and after.candidate.labeled == 40
    assert after.candidate.accuracy == pytest.approx(after.agreement)
    assert after.verdict == ("either" if after.agreement > 0.99 else "keep") and after.message


def test_a_log_written_before_serving_by_name_gets_the_version_columns(tmp_path):
    import sqlite3

    path = tmp_path / "run" / "monitor.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE predictions (id INTEGER PRIMARY KEY, ts REAL NOT NULL, latency_ms REAL NOT NULL, "
                   "backend TEXT, label TEXT, confidence REAL, value REAL, text_sha TEXT, text_len INTEGER, "
                   "text TEXT, text_pair TEXT)")
        db.execute("INSERT INTO predictions (ts, latency_ms, label) VALUES (?, 2.0, 'billing')", (time.time(),))
    log = monitor.PredictionLog(path)
    log.record([{"latency_ms": 1.0, "label": "shipping", "version": "router/2", "shadow_label": "billing"}])
    log.close()
    rows = monitor.read_log(path.parent)
    assert list(rows["label"]) == ["billing", "shipping"] and rows["version"].iloc[1] == "router/2"
    assert rows["shadow_label"].iloc[1] == "billing"


def test_only_the_names_owner_or_an_admin_reads_its_served_texts_or_labels_them(registry):
    from tuneboard.errors import PermissionDenied
    from tuneboard.serve import add_labels, disagreements
    from tuneboard.team import User

    bob = User("bob@x.org")
    with pytest.raises(PermissionDenied):
        disagreements("router", user=bob, registry=registry)
    with pytest.raises(PermissionDenied):
        add_labels("router", [{"text": "refund", "label": "billing"}], user=bob, registry=registry)
    assert list(disagreements("router", registry=registry).columns) == ["text", "production", "candidate"]
