"""Deployments: one API server per run however many Start presses arrive at once, and Stop ends them all."""
from __future__ import annotations

import os
import signal
import threading

import pytest

from tuneboard.config import TrainConfig
from tuneboard.serve import deploy
from tuneboard.team import access
from tuneboard.train.pipeline import execute


@pytest.fixture
def tfidf_run(sentiment_csv):
    return execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run


def start_at_once(run, n=2):
    """``n`` threads press Start on ``run`` together; their answers (a Deployment or the error raised)."""
    ready, answers = threading.Barrier(n), [None] * n

    def press(i):
        ready.wait()
        try:
            answers[i] = deploy.start_deployment(run.path, user=access.LOCAL)
        except Exception as e:  # noqa: BLE001 -- the test reports it
            answers[i] = e

    threads = [threading.Thread(target=press, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    return answers


def test_two_start_presses_at_once_launch_one_server_and_stop_leaves_none(tfidf_run):
    first, second = start_at_once(tfidf_run)
    try:
        assert isinstance(first, deploy.Deployment) and isinstance(second, deploy.Deployment), (first, second)
        assert first.pid == second.pid and first.port == second.port
        assert deploy.servers(tfidf_run.path) == [first.pid]
    finally:
        stopped = deploy.stop_deployment(tfidf_run.run_id, user=access.LOCAL)
        leftover = {d.pid for d in (first, second) if isinstance(d, deploy.Deployment)}
        for pid in leftover & set(map(int, filter(str.isdigit, os.listdir("/proc")))):
            os.kill(pid, signal.SIGKILL)  # a failing run must not leave a server behind
    assert stopped and deploy.servers(tfidf_run.path) == []
    assert deploy.get_deployment(tfidf_run.run_id) is None
    assert not os.path.exists(f"/proc/{first.pid}") and not os.path.exists(f"/proc/{second.pid}")


def test_stop_ends_a_server_of_the_run_that_no_record_names(tfidf_run):
    dep = deploy.start_deployment(tfidf_run.path, user=access.LOCAL)
    deploy.record_path(tfidf_run.run_id).unlink()  # the record lost (or naming another process)
    assert deploy.get_deployment(tfidf_run.run_id) is None and deploy.servers(tfidf_run.path) == [dep.pid]
    assert deploy.stop_deployment(tfidf_run.run_id, user=access.LOCAL)
    assert deploy.servers(tfidf_run.path) == [] and not os.path.exists(f"/proc/{dep.pid}")
