"""Team mode, two people logged in (AppTest): Bob on Alice's run gets a report without her texts and
written nowhere, sees the traffic of her API but not the texts it received nor the "add to dataset" button,
and does not get Stop on her search; Alice gets all of it. tests/unit/team/test_team_guards.py has the engine's
side of each."""
from __future__ import annotations

import html
import threading

import pandas as pd
import pytest

from components import nav
from components.search import STUDY_KEY, searches
from tests.app.pages import drifting_log
from tests.app.test_team_login import ALICE, BOB, app
from tests.unit.train.test_queue import Fake, wait_for
from tuneboard.config import TrainConfig
from tuneboard.search.study import Budget, start_search
from tuneboard.team import access
from tuneboard.train.pipeline import execute
from tuneboard.train.queue import RunRegistry


@pytest.fixture(autouse=True)
def _team(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEBOARD_TEAM", "1")
    monkeypatch.delenv("TUNEBOARD_ADMINS", raising=False)


@pytest.fixture
def alices_run(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    access.record_owner(run.path, "alice@example.com")
    return run


def page(user: dict, name: str, run_id: str):
    at = app(user, run_id=run_id)
    at.switch_page(nav.PAGES[name].file).run()
    assert not at.exception, at.exception
    return at


def test_a_teammates_report_of_alices_run_holds_none_of_her_texts_and_is_not_written_into_her_run(alices_run):
    texts = pd.read_parquet(alices_run.path / "predictions.parquet")["text"].astype(str).tolist()
    at = page(BOB, nav.EVALUATE, alices_run.run_id)
    at.button(key="insights_build_report").click().run()
    assert not at.exception, at.exception
    report = at.session_state["_report"]["html"].decode("utf-8")
    assert report.startswith("<!DOCTYPE html>") and not [x for x in texts if html.escape(x) in report]
    assert "Download report (HTML)" in [b.proto.label for b in at.get("download_button")]
    assert not (alices_run.path / "report.html").exists()
    mine = page(ALICE, nav.EVALUATE, alices_run.run_id)
    mine.button(key="insights_build_report").click().run()
    assert [x for x in texts if html.escape(x) in mine.session_state["_report"]["html"].decode("utf-8")]


def test_only_the_owner_sees_the_texts_her_api_received_and_adds_them_to_her_dataset(alices_run):
    drifting_log(alices_run.path, 40, prefix="alice's client wrote")
    theirs = page(BOB, nav.MONITOR, alices_run.run_id)
    assert {m.label: m.value for m in theirs.metric}["Predictions"] == "40"  # the traffic is the team's to see
    assert not theirs.get("data_editor") and "monitor_append" not in [b.key for b in theirs.button]
    assert not any("alice's client wrote" in str(x.value) for x in [*theirs.text, *theirs.markdown, *theirs.code])
    assert any("private to its owner" in i.value for i in theirs.info)
    mine = page(ALICE, nav.MONITOR, alices_run.run_id)
    assert mine.get("data_editor") and mine.button(key="monitor_append")


def test_stop_search_is_offered_to_the_searchs_owner_only(sentiment_csv):
    hold = threading.Event()
    registry = RunRegistry(executor=Fake(hold))
    job = start_search(TrainConfig(data=str(sentiment_csv), model="tfidf"), Budget(trials=2), registry,
                       access.User("alice@example.com"))
    try:
        wait_for(registry._executor.started.is_set)
        searches()[job.study_id] = job
        theirs = page(BOB, nav.TRAIN, "")
        theirs.session_state[STUDY_KEY] = job.study_id
        theirs.run()
        assert not theirs.exception and "train_search_stop" not in [b.key for b in theirs.button]
        mine = page(ALICE, nav.TRAIN, "")
        mine.session_state[STUDY_KEY] = job.study_id
        mine.run()
        mine.button(key="train_search_stop").click().run()
        assert not mine.exception and job.wait(30) and not job.running and job.stop_event.is_set()
    finally:
        hold.set()
        searches().pop(job.study_id, None)
