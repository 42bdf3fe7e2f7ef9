"""Hyperparameter search: trials are normal runs grouped in a study, bad ones pruned from their first
evaluation, the best run marked; in this thread (CLI) or through the run queue (app); resumable."""
from __future__ import annotations

import json
import os
import threading
import time

import pytest

from tuneboard.config import TrainConfig
from tuneboard.data.checks import check_config
from tuneboard.errors import ConfigError
from tuneboard.i18n import english
from tuneboard.protocol import RunStatus, TrialStatus
from tuneboard.runs.folder import create_run, open_run
from tuneboard.runs.liveness import HEARTBEAT_FILE, stale_s
from tuneboard.search.records import StudyRecord, best_runs, list_studies, load_study, storage_url
from tuneboard.search.study import (
    PRUNED_REASON,
    Budget,
    Param,
    Search,
    create_study,
    resume_search,
    run_search,
    start_search,
)
from tuneboard.team.access import LOCAL

SPACE = (Param("learning_rate", "log", 1e-6, 3e-3), Param("epochs", "int", 2, 3))
# two good trials first (the pruner's reference), then one that cannot learn (learning rate 1e-6)
GOOD_GOOD_BAD = [{"learning_rate": 3e-3, "epochs": 3}, {"learning_rate": 2e-3, "epochs": 3},
                 {"learning_rate": 1e-6, "epochs": 3}]


def base(data, model, **kw) -> TrainConfig:
    """Trials of a known length: early stopping off, so only the search decides when a trial ends."""
    kw.setdefault("early_stopping_patience", 0)
    return TrainConfig(data=str(data), model=model, batch_size=16, max_length=32, freeze_embeddings=False, **kw)


def test_search_prunes_the_bad_trial_and_marks_the_best_run(sentiment_csv, tiny_model):
    record = run_search(base(sentiment_csv, tiny_model), Budget(trials=4), space=SPACE, enqueue=GOOD_GOOD_BAD)
    assert record.status == RunStatus.COMPLETED and len(record.trials) == 4
    by_number = {t.number: t for t in record.trials}
    assert by_number[0].status == by_number[1].status == TrialStatus.COMPLETE
    bad = by_number[2]
    assert bad.status == TrialStatus.PRUNED and bad.params["learning_rate"] == 1e-6
    assert bad.evaluations == 1  # stopped at its first evaluation, not after 3 epochs
    pruned_run = open_run(bad.run_id)
    assert pruned_run.status()["status"] == RunStatus.STOPPED
    assert pruned_run.status()["reason"] == english(PRUNED_REASON)
    assert len([e for e in pruned_run.history() if e["type"] == "eval"]) == 1

    complete = [t for t in record.trials if t.status == TrialStatus.COMPLETE]
    best = max(complete, key=lambda t: t.value)
    assert record.best_run_id == best.run_id and record.best_value == best.value
    assert record.best_value == open_run(best.run_id).metrics()["macro_f1"] > 0.6
    for t in record.trials:  # every trial is a normal run that names its study
        cfg = open_run(t.run_id).config()
        assert (cfg.search.study, cfg.search.trial, cfg.extra) == (record.study_id, t.number, {})
        assert cfg.learning_rate == t.params["learning_rate"] and cfg.epochs == t.params["epochs"]

    saved = load_study(record.study_id)  # study.json says the same
    assert saved.best_run_id == record.best_run_id and [t.status for t in saved.trials] == [
        t.status for t in record.trials]
    assert best_runs() == {record.best_run_id: record.study_id} and list_studies()[0].study_id == record.study_id
    assert saved.run_ids()[0] == record.best_run_id

    import optuna  # and Optuna's own storage agrees

    study = optuna.load_study(study_name=record.study_id, storage=storage_url())
    states = [t.state.name for t in study.trials]
    assert states[:3] == ["COMPLETE", "COMPLETE", "PRUNED"]
    assert states.count("PRUNED") == [t.status for t in record.trials].count(TrialStatus.PRUNED)
    assert study.best_trial.user_attrs["run_id"] == record.best_run_id


def test_search_through_the_run_queue_prunes_and_shows_its_runs_there(sentiment_csv, tiny_model):
    from tuneboard.train.queue import RunRegistry

    registry = RunRegistry()
    # the bad trial is long, so the queue's stop (polled every 0.25 s) lands while it is still training
    long_bad = [*GOOD_GOOD_BAD[:2], {"learning_rate": 1e-6, "epochs": 40}]
    job = start_search(base(sentiment_csv, tiny_model), Budget(trials=3), registry,
                       space=(SPACE[0], Param("epochs", "int", 2, 40)), enqueue=long_bad)
    record = job.wait(300)
    assert not job.running and job.error is None
    assert [t.status for t in record.trials] == [TrialStatus.COMPLETE, TrialStatus.COMPLETE, TrialStatus.PRUNED]
    for t in record.trials:
        assert registry.get(t.run_id) is not None  # queued and run by the registry's worker
    assert registry.get(record.trials[2].run_id).status == RunStatus.STOPPED
    assert load_study(record.study_id).best_run_id in {t.run_id for t in record.trials[:2]}


def test_a_stopped_search_stops_its_running_trial_and_starts_no_other(sentiment_csv, tiny_model):
    from tuneboard.train.queue import RunRegistry

    registry = RunRegistry()
    job = start_search(base(sentiment_csv, tiny_model, epochs=50), Budget(trials=5), registry,
                       space=(Param("learning_rate", "log", 1e-4, 3e-3),), enqueue=[])
    def training() -> bool:  # its trial's run is the one the queue trains, and it has taken a training step
        live = registry.active()
        return bool(job.record.trials and job.record.trials[0].status == TrialStatus.RUNNING and live is not None
                    and any(e["type"] == "train" for e in live.snapshot()["events"]))

    deadline = time.time() + 60
    while not training():
        assert time.time() < deadline
        time.sleep(0.05)
    job.stop(LOCAL)
    record = job.wait(120)
    assert record.status == RunStatus.STOPPED and len(record.trials) == 1
    assert record.trials[0].status == TrialStatus.STOPPED


def test_a_time_budget_starts_no_trial_after_it_is_spent(sentiment_csv, tiny_model):
    record = run_search(base(sentiment_csv, tiny_model), Budget(minutes=0.01), space=SPACE, enqueue=GOOD_GOOD_BAD)
    assert len(record.trials) == 1 and record.status == RunStatus.COMPLETED


def test_resume_marks_the_interrupted_trial_failed_and_goes_on(sentiment_csv, tiny_model):
    import optuna

    record = run_search(base(sentiment_csv, tiny_model), Budget(trials=1), space=SPACE, enqueue=GOOD_GOOD_BAD)
    study = optuna.load_study(study_name=record.study_id, storage=storage_url())
    study.ask()  # a trial left running by a process that died
    resumed = resume_search(record.study_id, Budget(trials=1))
    assert [t.status for t in resumed.trials] == [TrialStatus.COMPLETE, TrialStatus.COMPLETE]
    states = [t.state.name for t in optuna.load_study(study_name=record.study_id, storage=storage_url()).trials]
    assert states == ["COMPLETE", "FAIL", "COMPLETE"]


def test_budget_needs_trials_or_minutes_in_range():
    with pytest.raises(ConfigError, match="needs a budget"):
        Budget()
    with pytest.raises(ConfigError, match="out of range"):
        Budget(trials=0)
    with pytest.raises(ConfigError, match="out of range"):
        Budget(minutes=-1)


def test_cli_search_prints_the_study_as_json(sentiment_csv, tiny_model, capsys):
    from tuneboard.cli.main import main

    assert main(["search", str(sentiment_csv), "--model", tiny_model, "--trials", "1", "--preset", "fast",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["status"] == "completed" and len(out["trials"]) == 1
    first = out["trials"][0]
    # the first trial is the chosen preset's own settings
    assert first["params"] == {"learning_rate": 2e-4, "epochs": 3, "batch_size": 32, "max_length": 64,
                               "freeze_embeddings": True}
    assert out["best_run_id"] == first["run_id"]


def test_cli_search_without_a_budget_is_one_line_and_exit_code_2(sentiment_csv, capsys):
    from tuneboard.cli.main import main

    assert main(["search", str(sentiment_csv)]) == 2
    assert "needs a budget" in capsys.readouterr().err



def test_a_study_is_running_while_its_search_beats_and_interrupted_when_nobody_does_whatever_its_pid(
        sentiment_csv):
    seen = []

    def runner(config, data, watch, stop):  # a trial that looks at its study as the Search page does
        seen.append(load_study(record.study_id).status)
        return create_run(config), RunStatus.FAILED

    config = base(sentiment_csv, "tfidf")
    data = check_config(config)
    record = create_study(config, Budget(trials=1), data, space=SPACE)
    assert load_study(record.study_id).status == RunStatus.RUNNING  # just created: its thread is on the way
    Search(record, data).run(Budget(trials=1), runner, threading.Event())
    assert seen == [RunStatus.RUNNING]

    # After a restart in a container the server is PID 1 again: the PID in study.json is alive, the search is not.
    dead = StudyRecord(study_id="restarted", metric="macro_f1", direction="maximize", base={}, space=[],
                       budget={"trials": 3}, status=RunStatus.RUNNING, pid=os.getpid())
    dead.save()
    assert load_study("restarted").status == RunStatus.INTERRUPTED
    (dead.path / HEARTBEAT_FILE).touch()
    assert load_study("restarted").status == RunStatus.RUNNING
    old = time.time() - 2 * stale_s()
    os.utime(dead.path / HEARTBEAT_FILE, (old, old))
    interrupted = load_study("restarted")
    assert interrupted.status == RunStatus.INTERRUPTED and "Resume" in interrupted.reason
