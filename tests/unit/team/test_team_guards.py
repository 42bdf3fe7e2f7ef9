"""The engine says no on a shared server, whoever calls it: a teammate's report holds none of the owner's
private texts and is written nowhere; the texts a run's API received are the owner's; a search is stopped
by its owner only; every queued run is owned and counted as the person who asked; and a browser's config
trains only from the models folder, a hub id, or the model of a run the person may see."""
from __future__ import annotations

import html
import threading
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.train.test_queue import Fake, wait_for
from tuneboard.config import TrainConfig
from tuneboard.errors import LimitReached, ModelLoadError, PermissionDenied
from tuneboard.evaluate.report import report_for
from tuneboard.search.records import list_studies
from tuneboard.search.study import Budget, start_search
from tuneboard.serve import monitor
from tuneboard.team import access
from tuneboard.train.pipeline import execute
from tuneboard.train.queue import RunRegistry

ALICE = access.User("alice@example.com", "Alice")
BOB = access.User("bob@example.com", "Bob")


@pytest.fixture
def alices_run(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    access.record_owner(run.path, ALICE)
    return run


def validation_texts(run) -> list[str]:
    return pd.read_parquet(run.path / "predictions.parquet")["text"].astype(str).tolist()


def test_a_teammates_report_holds_none_of_the_owners_texts_and_is_written_nowhere(alices_run):
    texts = validation_texts(alices_run)
    theirs = report_for(alices_run.path, BOB)
    assert not [x for x in texts if html.escape(x) in theirs]
    assert "left out of this report" in theirs
    mine = report_for(alices_run.path, ALICE)
    assert [x for x in texts if html.escape(x) in mine]  # the owner's report has its examples
    access.set_shared(alices_run.path, True)
    assert [x for x in texts if html.escape(x) in report_for(alices_run.path, BOB)]
    assert not (alices_run.path / "report.html").exists()


def _served(run) -> None:
    log = monitor.PredictionLog(monitor.log_path(run.path), store_texts=True, flush_s=60)
    log.record([{"latency_ms": 1.0, "label": "positive", "confidence": 0.51, "text": "=HYPERLINK(\"x\") secret"}])
    log.close()


def test_served_texts_reach_only_those_who_may_see_them(alices_run):
    _served(alices_run)
    assert monitor.read_log(alices_run.path, user=BOB)["text"].isna().all()
    assert len(monitor.read_log(alices_run.path, user=BOB)) == 1  # the traffic itself stays visible
    assert monitor.read_log(alices_run.path, user=ALICE)["text"].tolist() == ["=HYPERLINK(\"x\") secret"]
    access.set_shared(alices_run.path, True)
    assert monitor.read_log(alices_run.path, user=BOB)["text"].notna().all()


def test_only_the_owner_or_an_admin_adds_served_texts_to_the_runs_feedback(alices_run):
    rows = pd.DataFrame({"text": ["secret"], "label": ["positive"]})
    access.set_shared(alices_run.path, True)  # seeing the texts is not owning the feedback file
    with pytest.raises(PermissionDenied, match="add served texts to the feedback of"):
        monitor.add_feedback(alices_run.path, rows, BOB)
    assert not monitor.feedback_path(alices_run.path).exists()
    path = monitor.add_feedback(alices_run.path, rows, ALICE)
    assert path == monitor.feedback_path(alices_run.path) and "secret" in path.read_text(encoding="utf-8")
    assert monitor.add_feedback(alices_run.path, rows, access.User("ops@example.com", is_admin=True)) == path


@pytest.fixture
def held():
    hold = threading.Event()
    yield hold
    hold.set()  # a failing test must not leave a fake run holding the worker


def test_a_search_is_stopped_by_its_owner_only_and_its_trials_are_that_persons_runs(sentiment_csv, held):
    registry = RunRegistry(executor=Fake(held))
    job = start_search(TrainConfig(data=str(sentiment_csv), model="tfidf"), Budget(trials=3), registry, ALICE)
    wait_for(registry._executor.started.is_set)
    assert job.record.owner == ALICE.id
    with pytest.raises(PermissionDenied, match="belongs to alice@example.com"):
        job.stop(BOB)
    assert job.running and not job.stop_event.is_set()
    trial = registry.active()
    assert access.run_owner(trial.run.path) == ALICE.id  # owned as the person who asked ...
    assert registry.store.get(trial.run_id).owner == ALICE.id  # ... and counted as theirs
    job.stop(ALICE)
    record = job.wait(30)
    assert not job.running and len(record.trials) == 1


def test_a_person_at_their_queue_limit_cannot_start_a_search(sentiment_csv, held, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_MAX_QUEUED", "1")
    registry = RunRegistry(executor=Fake(held))
    config = TrainConfig(data=str(sentiment_csv), model="tfidf")
    registry.submit(config, user=ALICE)  # training
    wait_for(registry._executor.started.is_set)
    registry.submit(config, user=ALICE)  # waiting: Alice is at her limit
    with pytest.raises(LimitReached):
        start_search(config, Budget(trials=2), registry, ALICE)
    assert not list_studies()
    bob = start_search(config, Budget(trials=1), registry, BOB)  # Alice's runs do not count against Bob
    assert bob.running and bob.error is None
    bob.stop(BOB)
    bob.wait(30)  # its thread writes study.json under this test's folder: done before the next test
    assert not bob.running


def test_a_browsers_registry_trains_only_from_the_models_folder_or_a_hub_id(sentiment_csv, tiny_model, tmp_path):
    registry = RunRegistry(executor=Fake(), browser=True)
    outside = TrainConfig(data=str(sentiment_csv), model=tiny_model)  # a folder elsewhere on the server
    with pytest.raises(ModelLoadError):
        registry.submit(outside, user=ALICE)
    with pytest.raises(ModelLoadError):
        start_search(outside, Budget(trials=1), registry, ALICE)
    assert not list_studies() and not registry.store.queued()
    RunRegistry(executor=Fake()).submit(outside, user=ALICE)  # the CLI's registry keeps any folder


def test_a_student_trains_from_its_teachers_model_only_for_who_may_see_the_teacher(sentiment_csv, tiny_model):
    teacher = execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=32)).run
    access.record_owner(teacher.path, ALICE)
    student = TrainConfig(data=str(sentiment_csv), model=str(teacher.model_dir), extra={"teacher_run": teacher.run_id})
    registry = RunRegistry(executor=Fake(), browser=True)
    with pytest.raises(PermissionDenied):
        registry.submit(student, user=BOB)
    live = registry.submit(student, user=ALICE)
    assert registry.wait(live.run_id, 30) == "completed"
    named_elsewhere = student.replace(model=str(Path(tiny_model)))  # the teacher's id is no pass to any folder
    with pytest.raises(ModelLoadError):
        registry.submit(named_elsewhere, user=ALICE)
