"""Ownership enforced by the engine, not only by hidden buttons; per-person limits."""
from __future__ import annotations

import threading
import time

import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import LimitReached, PermissionDenied
from tuneboard.evaluate.corrections import save_corrected_copy
from tuneboard.evaluate.evaluation import set_threshold
from tuneboard.runs import quotas
from tuneboard.runs.folder import create_run, delete_run, list_runs
from tuneboard.runs.store import RunStore
from tuneboard.serve.export import export_run
from tuneboard.team import access
from tuneboard.train.queue import RunRegistry

ALICE = access.User("alice@example.com", "Alice")
BOB = access.User("bob@example.com", "Bob")
ADMIN = access.User("root@example.com", is_admin=True)


def cfg(name="r") -> TrainConfig:
    return TrainConfig(data="d.csv", run_name=name)


def fake_execute(hold: threading.Event):
    def execute(config, on_event, stop, run, data, resume=False):
        run.set_status("running")
        on_event({"type": "status", "status": "running"})
        while not hold.wait(0.02) and not stop.is_set():
            pass
        final = "stopped" if stop.is_set() else "completed"
        run.set_status(final)
        on_event({"type": "status", "status": final})
    return execute


def wait_for(predicate, timeout=20.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def test_submit_records_the_owner_in_the_queue_and_in_owner_json():
    hold = threading.Event()
    reg = RunRegistry(executor=fake_execute(hold))
    live = reg.submit(cfg(), data=object(), user=ALICE)
    assert access.run_owner(live.run.path) == "alice@example.com"
    assert reg.store.get(live.run_id).owner == "alice@example.com"
    hold.set()


def test_a_cli_run_belongs_to_the_operating_system_user(monkeypatch):
    monkeypatch.setenv("USER", "carol")
    monkeypatch.setenv("LOGNAME", "carol")
    run = create_run(cfg())
    assert access.run_owner(run.path) == "carol"


def test_only_the_owner_or_an_admin_may_stop_a_run():
    hold = threading.Event()
    reg = RunRegistry(executor=fake_execute(hold))
    running = reg.submit(cfg("a"), data=object(), user=ALICE)
    wait_for(lambda: running.status == "running")
    queued = reg.submit(cfg("b"), data=object(), user=ALICE)
    with pytest.raises(PermissionDenied, match="may not stop this run: it belongs to alice@example.com"):
        reg.stop(running.run_id, BOB)
    with pytest.raises(PermissionDenied):
        reg.stop(queued.run_id, BOB)
    assert running.status == "running" and queued.status == "queued"  # nothing moved
    assert reg.stop(queued.run_id, ADMIN) and reg.stop(running.run_id, ALICE)
    assert reg.wait(running.run_id, 10) == "stopped"
    hold.set()


@pytest.fixture
def finished_run():
    run = create_run(cfg(), owner=ALICE.id)
    run.set_status("completed")
    return run


def test_delete_is_refused_to_a_teammate(finished_run):
    with pytest.raises(PermissionDenied, match="may not delete this run"):
        delete_run(finished_run, BOB)
    assert list_runs() != []
    delete_run(finished_run, ALICE)
    assert list_runs() == []


def test_threshold_export_and_relabel_are_refused_to_a_teammate(finished_run, sentiment_csv):
    with pytest.raises(PermissionDenied, match="change the threshold of this run"):
        set_threshold(finished_run.path, 0.7, user=BOB)
    with pytest.raises(PermissionDenied, match="may not export this run"):
        export_run(finished_run.path, user=BOB)
    with pytest.raises(PermissionDenied, match="relabel the data of this run"):
        save_corrected_copy(sentiment_csv, "review", "sentiment", {"x": None}, run_path=finished_run.path, user=BOB)


def test_the_owner_and_an_admin_pass_the_engine_checks(finished_run, sentiment_csv):
    # Past the ownership check, each fails for its own reason (this run has no model), not for permission.
    from tuneboard.errors import TuneboardError

    for user in (ALICE, ADMIN):
        for action in (lambda u: export_run(finished_run.path, user=u),
                       lambda u: set_threshold(finished_run.path, 0.7, user=u)):
            with pytest.raises(TuneboardError) as e:
                action(user)
            assert not isinstance(e.value, PermissionDenied)


def test_a_person_may_queue_only_so_many_runs(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_MAX_QUEUED", "2")
    hold = threading.Event()
    reg = RunRegistry(executor=fake_execute(hold))
    first = reg.submit(cfg("a"), data=object(), user=ALICE)
    wait_for(lambda: first.status == "running")
    reg.submit(cfg("b"), data=object(), user=ALICE)
    reg.submit(cfg("c"), data=object(), user=ALICE)
    before = len(list_runs())
    with pytest.raises(LimitReached, match="You already have 2 runs waiting in the queue"):
        reg.submit(cfg("d"), data=object(), user=ALICE)
    assert len(list_runs()) == before  # refused before a folder was made
    reg.submit(cfg("e"), data=object(), user=BOB)  # the limit is per person
    hold.set()


def test_a_person_over_their_disk_share_cannot_start_a_run(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_USER_DISK_GB", str(2000 / 1024**3))  # 2,000 bytes
    run = create_run(cfg(), owner=ALICE.id)
    run.set_status("completed")
    (run.path / "model.bin").write_bytes(b"x" * 4000)
    assert quotas.disk_used(ALICE) > 4000 and quotas.disk_used(BOB) == 0
    reg = RunRegistry(executor=fake_execute(threading.Event()))
    with pytest.raises(LimitReached, match=r"Your runs use 0\.0 GB of disk.*Delete runs you no longer need"):
        reg.submit(cfg(), data=object(), user=ALICE)
    assert quotas.disk_used(BOB) == 0


def test_uploads_count_against_their_uploader_only(monkeypatch, tmp_path):
    monkeypatch.setenv("TUNEBOARD_USER_UPLOAD_MB", "1")
    store = RunStore()
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 700_000)
    store.record_upload("sha1", ALICE.id, big, big.stat().st_size)
    store.record_upload("sha1", ALICE.id, big, big.stat().st_size)  # the same file again counts once
    assert quotas.upload_allowance(store, ALICE) == 1024**2 - 700_000
    assert quotas.upload_allowance(store, BOB) == 1024**2
    big.unlink()  # a deleted upload no longer counts
    assert quotas.upload_allowance(store, ALICE) == 1024**2
    assert "upload limit" in str(quotas.upload_refusal(2_000_000, 1000))

