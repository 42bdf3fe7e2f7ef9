"""The durable queue: restart, exactly-once across workers, heartbeat liveness, resume.

Training is replaced by a small fake executor (the real one is covered by test_jobs.py), so these
tests are about the queue and its states, and take well under a second each.
"""
from __future__ import annotations

import os
import threading
import time

import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import RunError
from tuneboard.runs.folder import create_run, delete_run, list_runs, open_run
from tuneboard.runs.liveness import beat
from tuneboard.runs.store import RunStore
from tuneboard.team import access
from tuneboard.train.queue import RunRegistry

ALICE = access.User("alice@example.com")


def cfg(data="d.csv", name="r") -> TrainConfig:
    return TrainConfig(data=str(data), run_name=name)


class Fake:
    """A stand-in for ``training.execute``: records each call; ``hold`` keeps a run training until set.

    It writes ``status.json`` and the status event as the real one does."""

    def __init__(self, hold: threading.Event | None = None, seconds: float = 0.0) -> None:
        self.calls: list[tuple[str, bool]] = []
        self.started = threading.Event()
        self.hold, self.seconds = hold, seconds
        self._lock = threading.Lock()
        self.now = self.most = 0

    def __call__(self, config, on_event, stop, run, data, resume=False):
        with self._lock:
            self.calls.append((run.run_id, resume))
            self.now += 1
            self.most = max(self.most, self.now)
        run.set_status("running")
        on_event({"type": "status", "status": "running"})
        self.started.set()
        if self.hold is not None:
            while not self.hold.wait(0.02) and not stop.is_set():
                pass
        time.sleep(self.seconds)  # the training's own length (the tests of concurrency give it one)
        with self._lock:
            self.now -= 1
        final = "stopped" if stop.is_set() else "completed"
        run.set_status(final)
        on_event({"type": "status", "status": final})


def wait_for(predicate, timeout=20.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def dead_worker(monkeypatch):
    """A worker that beats once and never again, as a server killed mid-run: its run goes stale at once."""
    monkeypatch.setenv("TUNEBOARD_HEARTBEAT_S", "3600")
    monkeypatch.setenv("TUNEBOARD_STALE_S", "0.3")


def test_a_restart_runs_the_queue_in_order_and_interrupts_the_run_that_was_training(dead_worker):
    hold = threading.Event()
    before = RunRegistry(executor=Fake(hold))
    first = before.submit(cfg(name="first"), data=object())
    wait_for(before._executor.started.is_set)
    queued = [before.submit(cfg(name=f"q{i}"), data=object()).run_id for i in range(2)]
    wait_for(lambda: open_run(first.run_id).status()["status"] == "interrupted")  # the "killed" server's beat is stale

    after = RunRegistry(executor=Fake())  # the restarted server, same database
    assert after.recover() == [first.run_id]
    for run_id in queued:
        assert after.wait(run_id, 20) == "completed"
    assert after._executor.calls == [(r, False) for r in queued]  # in the order they were queued
    assert open_run(first.run_id).raw_status() == "interrupted"  # written to status.json, not only derived
    assert after.store.get(first.run_id).status == "interrupted"
    assert first.run_id not in [c[0] for c in after._executor.calls]  # never re-run by itself
    hold.set()


def test_two_registries_on_one_database_train_every_run_exactly_once_one_at_a_time(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_MAX_QUEUED", "0")  # no per-person limit here
    fake = Fake(seconds=0.03)
    registries = [RunRegistry(executor=fake), RunRegistry(executor=fake)]  # two server processes
    ids: list[str] = []
    lock = threading.Lock()

    def submit_three(reg):
        for i in range(3):
            run_id = reg.submit(cfg(name=f"r{i}"), data=object()).run_id
            with lock:
                ids.append(run_id)

    threads = [threading.Thread(target=submit_three, args=(r,)) for r in registries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = RunStore()
    wait_for(lambda: all(store.get(i).status == "completed" for i in ids))
    assert sorted(c[0] for c in fake.calls) == sorted(ids)  # each once, none twice
    assert fake.most == 1  # one device: never two at once, even across registries


def test_the_claim_is_a_transaction_no_two_workers_take_the_same_run():
    store = RunStore()
    for i in range(20):
        store.add(f"run-{i}", f"/nowhere/{i}", "local")
    taken: list[str] = []

    def worker(name):
        while True:
            q = store.claim_next(name, stale_after=0)  # stale_after=0: ignore the one-run-per-device rule
            if q is None:
                return
            taken.append(q.run_id)
            assert store.finish(q.run_id, "completed")
            assert not store.finish(q.run_id, "failed")  # a run finishes once

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(f"run-{i}" for i in range(20))


def test_a_recycled_pid_no_longer_keeps_a_run_running(tmp_path):
    # Finding 3: after a container restart the PID in status.json is alive again (here: this very process).
    run = create_run(cfg())
    run.set_status("running")
    run.write_json("status.json", {**run.status(), "pid": os.getpid()})
    assert run.status()["status"] == "interrupted"  # no heartbeat: nobody trains it
    with pytest.raises(RunError, match="not training.*interrupted"):
        RunRegistry().stop(run.run_id)  # Stop says so plainly instead of "Stopping..." forever
    assert run.raw_status() == "interrupted"
    delete_run(run)  # and Delete works
    assert list_runs() == []


def test_a_run_with_a_fresh_heartbeat_is_running_and_cannot_be_deleted():
    run = create_run(cfg())
    run.set_status("running")
    beat(run.path)
    run.write_json("status.json", {**run.status(), "pid": 2**22 + 12345})  # a PID that is dead
    assert run.status()["status"] == "running"
    with pytest.raises(RunError, match="still active"):
        delete_run(run)


def test_the_training_worker_beats_while_a_long_step_runs(monkeypatch, sentiment_csv, tiny_model):
    from tuneboard.train.pipeline import execute

    monkeypatch.setenv("TUNEBOARD_HEARTBEAT_S", "0.05")
    monkeypatch.setenv("TUNEBOARD_STALE_S", "0.5")
    held, go = threading.Event(), threading.Event()

    def slow_first_eval(config, on_event, **kw):
        def record(event):
            on_event(event)
            if event["type"] == "eval" and not held.is_set():
                held.set()
                go.wait(20)  # a step far longer than the stale limit
        return execute(config, on_event=record, **kw)

    reg = RunRegistry(executor=slow_first_eval)
    live = reg.submit(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=2, batch_size=8, max_length=16))
    wait_for(held.is_set, 60)
    time.sleep(1.0)  # the time passing is what is tested: twice the stale limit inside one step, still running
    assert open_run(live.run_id).status()["status"] == "running"
    go.set()
    assert reg.wait(live.run_id, 60) == "completed"


def test_stop_reaches_a_run_trained_by_another_server_process(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_HEARTBEAT_S", "0.05")
    fake = Fake(threading.Event())
    trainer, other = RunRegistry(executor=fake), RunRegistry(executor=Fake())
    live = trainer.submit(cfg(), data=object())
    wait_for(fake.started.is_set)
    assert other.stop(live.run_id) is True
    assert trainer.wait(live.run_id, 10) == "stopped"  # picked up at the trainer's next heartbeat


def test_an_interrupted_run_is_resumed_by_its_owner_only(dead_worker):
    hold = threading.Event()
    before = RunRegistry(executor=Fake(hold))
    live = before.submit(cfg(), data=object(), user=ALICE)
    wait_for(before._executor.started.is_set)
    wait_for(lambda: open_run(live.run_id).status()["status"] == "interrupted")  # its heartbeat went stale
    after = RunRegistry(executor=Fake())
    after.recover()
    with pytest.raises(access.PermissionDenied, match="resume this run: it belongs to alice@example.com"):
        after.resume(live.run_id, access.User("bob@example.com"))
    resumed = after.resume(live.run_id, ALICE)
    assert resumed.status in ("queued", "running", "completed")
    assert after.wait(live.run_id, 20) == "completed"
    assert after._executor.calls == [(live.run_id, True)]  # continued from its checkpoint, once
    with pytest.raises(RunError, match="nothing to resume"):
        after.resume(live.run_id, ALICE)
    hold.set()


def test_a_restart_leaves_a_run_of_a_live_server_alone(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_HEARTBEAT_S", "0.05")
    monkeypatch.setenv("TUNEBOARD_STALE_S", "5")
    hold = threading.Event()
    first = RunRegistry(executor=Fake(hold))
    live = first.submit(cfg(), data=object())
    wait_for(first._executor.started.is_set)
    assert RunRegistry(executor=Fake()).recover() == []  # a second server starting: the run is still beating
    assert open_run(live.run_id).status()["status"] == "running"
    hold.set()
    assert first.wait(live.run_id, 10) == "completed"


@pytest.fixture
def dead_process():
    """The identity of a process of this machine that has ended (a server killed with kill -9)."""
    import subprocess
    import sys

    from tuneboard.runs.liveness import Worker, machine, start_time

    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    worker = Worker(machine(), proc.pid, start_time(proc.pid))
    proc.kill()
    proc.wait()
    return worker


def test_a_run_whose_server_died_a_moment_ago_is_interrupted_and_resumed_at_once(monkeypatch, dead_process):
    from tuneboard.runs.liveness import Worker, alive

    hold = threading.Event()
    with monkeypatch.context() as m:  # the first server's heartbeat names the process that was then killed
        m.setattr(Worker, "current", classmethod(lambda cls: dead_process))
        before = RunRegistry(executor=Fake(hold))
        live = before.submit(cfg(), data=object(), user=ALICE)
        wait_for(before._executor.started.is_set)
    assert not alive(live.run.path)  # its heartbeat is fresh (the default 30 s window), its process is gone
    after = RunRegistry(executor=Fake())  # the restarted server, at once
    assert after.recover() == [live.run_id]
    assert open_run(live.run_id).raw_status() == "interrupted" and after.store.get(live.run_id).status == "interrupted"
    after.resume(live.run_id, ALICE)
    assert after.wait(live.run_id, 20) == "completed"
    assert after._executor.calls == [(live.run_id, True)]
    hold.set()


def test_resume_right_after_a_crash_needs_no_restart_first(monkeypatch, dead_process):
    """Resume pressed in a server that was already up when the other one died: the queue row still says running."""
    from tuneboard.runs.liveness import Worker

    hold = threading.Event()
    after = RunRegistry(executor=Fake())
    with monkeypatch.context() as m:
        m.setattr(Worker, "current", classmethod(lambda cls: dead_process))
        before = RunRegistry(executor=Fake(hold))
        live = before.submit(cfg(), data=object(), user=ALICE)
        wait_for(before._executor.started.is_set)
    assert after.store.get(live.run_id).status == "running"
    after.resume(live.run_id, ALICE)  # once refused: "resumed by someone else a moment ago"
    assert after.wait(live.run_id, 20) == "completed"
    hold.set()


def test_a_recycled_pid_or_another_machine_does_not_decide_liveness(tmp_path):
    import os

    from tuneboard.runs.liveness import Worker, claim, machine, start_time, working

    me = Worker(machine(), os.getpid(), start_time(os.getpid()))
    assert not me.gone()
    assert Worker(machine(), os.getpid(), me.started - 3600).gone()  # this pid, but a process started earlier
    elsewhere = Worker("another-host|pid:[1]", 2**22 + 7, 0.0)
    assert not elsewhere.gone()  # nothing to look at: the heartbeat window decides
    now = time.time()
    assert working(now - 1, elsewhere, stale=30, now=now) and not working(now - 31, elsewhere, stale=30, now=now)
    claim(tmp_path, elsewhere)
    assert Worker.from_text((tmp_path / "heartbeat").read_text()) == elsewhere
