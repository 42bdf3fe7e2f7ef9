"""The run registry: background thread, one run at a time, queue, stop. No Streamlit involved."""
from __future__ import annotations

import threading
import time

import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import DataError, TuneboardError
from tuneboard.runs.folder import list_runs, open_run
from tuneboard.train.pipeline import execute
from tuneboard.train.queue import RunRegistry


def config(data, model, epochs=1, **kw) -> TrainConfig:
    return TrainConfig(data=str(data), model=model, epochs=epochs, batch_size=8, freeze_embeddings=False,
                       learning_rate=3e-3, max_length=32, **kw)


def wait_for(predicate, timeout=30.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def test_submit_returns_at_once_and_trains_in_the_background(sentiment_csv, tiny_model):
    reg = RunRegistry()
    t0 = time.time()
    live = reg.submit(config(sentiment_csv, tiny_model, epochs=2))
    assert time.time() - t0 < 5 and live.status in ("queued", "running")
    assert reg.wait(live.run_id, 60) == "completed"
    snap = live.snapshot()
    kinds = {e["type"] for e in snap["events"]}
    assert {"start", "train", "eval", "status"} <= kinds
    assert snap["latest"]["progress"] == pytest.approx(1.0)
    run = open_run(live.run_id)
    assert run.status()["status"] == "completed" and run.metrics()["macro_f1"] > 0.5
    assert len(run.history()) == snap["n_events"]  # the folder holds the same story as the live object
    assert reg.active() is None and reg.queued() == []


def test_snapshot_since_returns_only_new_events(sentiment_csv, tiny_model):
    reg = RunRegistry()
    live = reg.submit(config(sentiment_csv, tiny_model))
    reg.wait(live.run_id, 60)
    full = live.snapshot()
    tail = live.snapshot(since=full["n_events"] - 2)
    assert tail["events"] == full["events"][-2:] and tail["n_events"] == full["n_events"]
    assert live.snapshot(since=full["n_events"])["events"] == []


def test_second_submit_waits_in_the_queue_and_starts_after_the_first(sentiment_csv, tiny_model):
    reg = RunRegistry()
    first = reg.submit(config(sentiment_csv, tiny_model, epochs=60))
    wait_for(lambda: first.status == "running")
    second = reg.submit(config(sentiment_csv, tiny_model, epochs=1))
    assert second.status == "queued" and reg.queued() == [second]
    assert reg.active() is first
    assert open_run(second.run_id).status()["status"] == "queued"
    reg.stop(first.run_id)
    assert reg.wait(first.run_id, 30) == "stopped"
    assert reg.wait(second.run_id, 60) == "completed"
    first_end = open_run(first.run_id).status()["ended_at"]
    assert open_run(second.run_id).status()["started_at"] >= first_end


def test_stop_a_running_run_at_its_next_step_and_keep_its_model(sentiment_csv, tiny_model):
    # The trainer is held right after its first evaluation while Stop is pressed, so "at the next
    # step" is checked by counting steps, not by a wall clock that a busy machine would stretch.
    paused, resume = threading.Event(), threading.Event()

    def held_after_first_eval(cfg, on_event, **kw):
        def record(event):
            on_event(event)
            if event["type"] == "eval" and not paused.is_set():
                paused.set()
                resume.wait(30)
        return execute(cfg, on_event=record, **kw)

    reg = RunRegistry(executor=held_after_first_eval)
    live = reg.submit(config(sentiment_csv, tiny_model, epochs=60))
    wait_for(paused.is_set)
    stop_step = [e for e in live.snapshot()["events"] if e["type"] == "eval"][0]["step"]
    assert reg.stop(live.run_id)
    assert live.status == "stopping"
    resume.set()
    assert reg.wait(live.run_id, 30) == "stopped"
    events = live.snapshot()["events"]
    assert max(e["step"] for e in events if e["type"] in ("train", "eval")) == stop_step  # no step after Stop
    assert [e["type"] for e in events].count("eval") == 1  # the kept model is the one evaluated before Stop
    run = open_run(live.run_id)
    assert run.status()["status"] == "stopped"
    assert (run.model_dir / "config.json").is_file() and run.metrics() is not None


def test_stop_a_queued_run_cancels_it_without_training(sentiment_csv, tiny_model):
    reg = RunRegistry()
    first = reg.submit(config(sentiment_csv, tiny_model, epochs=60))
    wait_for(lambda: first.status == "running")
    second = reg.submit(config(sentiment_csv, tiny_model))
    assert reg.stop(second.run_id)
    assert second.status == "stopped" and reg.queued() == []
    assert open_run(second.run_id).status()["status"] == "stopped"
    assert first.status == "running"  # cancelling the queued one leaves the running one alone
    reg.stop(first.run_id)
    assert reg.wait(first.run_id, 30) == "stopped"
    assert second.snapshot()["events"] == [] and not (open_run(second.run_id).model_dir).exists()


def test_stop_of_an_unknown_run_is_false():
    assert RunRegistry().stop("no-such-run") is False


def test_bad_input_raises_before_any_folder_is_made(sentiment_csv, tiny_model):
    reg = RunRegistry()
    with pytest.raises(DataError):
        reg.submit(config(sentiment_csv, tiny_model, label_column="nope"))
    assert list_runs() == [] and reg.active() is None


@pytest.mark.parametrize("error, reason", [(TuneboardError("The data went away. Upload it again."), "went away"),
                                          (ZeroDivisionError("boom"), "Unexpected error")])
def test_a_failing_run_is_marked_failed_with_a_reason_and_the_worker_goes_on(sentiment_csv, tiny_model, error, reason):
    calls = []

    def execute(cfg, on_event, stop, run, data):
        calls.append(cfg)
        if len(calls) == 1:
            raise error
        on_event({"type": "status", "status": "completed"})
        return type("Result", (), {"status": "completed"})()

    reg = RunRegistry(executor=execute)
    bad = reg.submit(config(sentiment_csv, tiny_model))
    good = reg.submit(config(sentiment_csv, tiny_model))
    assert reg.wait(bad.run_id, 10) == "failed" and reason in bad.snapshot()["reason"]
    assert reg.wait(good.run_id, 10) == "completed"
