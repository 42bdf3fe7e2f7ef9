"""A run's feed: from the live run while this process trains it, else from its folder, never read twice when done."""
from __future__ import annotations

from tuneboard.config import TrainConfig
from tuneboard.protocol import RunStatus
from tuneboard.runs import create_run, follow_run


class Live:
    """A stand-in for ``train.queue.LiveRun``: the events it has logged so far."""

    def __init__(self, config):
        self.config, self.events, self.calls = config, [], []

    def snapshot(self, since=0):
        self.calls.append(since)
        return {"status": RunStatus.RUNNING, "reason": None, "latest": {"step": len(self.events)},
                "events": self.events[since:], "n_events": len(self.events)}


def train(step):
    return {"type": "train", "step": step, "epoch": 0.1 * step, "loss": 1.0 / step, "learning_rate": 1e-4}


def test_a_live_run_is_followed_by_the_events_since_the_last_call():
    config = TrainConfig(data="/somewhere/tickets.csv")
    run = create_run(config)
    live = Live(config)
    live.events += [train(1), train(2)]
    feed = follow_run(run.run_id, None, live)
    live.events.append(train(3))
    feed = follow_run(run.run_id, feed, live)
    assert live.calls == [0, 2] and feed["n"] == 3 and [e.step for e in feed["parsed"]] == [1, 2, 3]
    assert (feed["source"], feed["status"], feed["data"], feed["run_id"]) == (
        "live", RunStatus.RUNNING, "tickets.csv", run.run_id)


def test_a_run_nobody_here_trains_is_read_from_its_folder_until_it_ends():
    run = create_run(TrainConfig(data="/somewhere/tickets.csv"))
    run.append_event(train(1))
    feed = follow_run(run.run_id, None, None)
    assert (feed["source"], feed["status"], feed["n"], feed["data"]) == ("disk", RunStatus.QUEUED, 1, "tickets.csv")
    feed["_charts"], feed["_other"] = "kept", "dropped"
    run.append_event(train(2))
    run.set_status(RunStatus.COMPLETED)
    feed = follow_run(run.run_id, feed, None, keep=("_charts",))
    assert (feed["status"], feed["n"], feed["_charts"]) == (RunStatus.COMPLETED, 2, "kept") and "_other" not in feed
    run.append_event(train(3))
    assert follow_run(run.run_id, feed, None)["n"] == 2  # finished: not read again


def test_an_unknown_run_has_no_feed():
    assert follow_run("no-such-run", None, None) is None
    assert follow_run("../etc", None, None) is None
