"""Monitor's Retrain button, as a person uses it: open the panel, pick the fixed evaluation file with the mouse,
type the slice margin and press Enter, press Retrain, read the gate's verdict in plain words -- then in Chinese,
and again after a refresh. The production model is a TF-IDF run, so the retraining takes a second."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import sentiment_rows

from . import ui

pytestmark = pytest.mark.e2e
FLIP = {"positive": "negative", "negative": "positive"}


@pytest.fixture
def production(runs_dir: Path, e2e_work: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A served TF-IDF run that learned from badly labeled rows, 200 texts labeled on Monitor since, and an
    evaluation file (with a channel column: two slices) in the server's datasets folder."""
    from tuneboard.config import TrainConfig
    from tuneboard.serve.monitor import feedback_path
    from tuneboard.train.pipeline import execute

    monkeypatch.setenv("TUNEBOARD_RUNS_DIR", str(runs_dir))
    monkeypatch.setenv("TUNEBOARD_DATASETS_DIR", str(e2e_work / "datasets"))
    data = e2e_work / "retrain-train.csv"
    rows = [(x, FLIP[y] if i % 5 < 2 else y) for i, (x, y) in enumerate(sentiment_rows(60, seed=1))]
    pd.DataFrame(rows, columns=["review", "sentiment"]).to_csv(data, index=False)
    run = execute(TrainConfig(data=str(data), model="tfidf", run_name="retrain-production")).run
    feedback = feedback_path(run.path)
    feedback.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(sentiment_rows(200, seed=2), columns=["text", "label"]).to_csv(feedback, index=False)
    (e2e_work / "datasets").mkdir(exist_ok=True)
    pd.DataFrame(sentiment_rows(120, seed=3), columns=["review", "sentiment"]).assign(
        channel=["web", "app"] * 60).to_csv(e2e_work / "datasets" / "eval-fixed.csv", index=False)
    pd.DataFrame(sentiment_rows(20, seed=4), columns=["review", "sentiment"]).to_csv(
        e2e_work / "datasets" / "another.csv", index=False)
    return run.run_id


def test_a_person_retrains_from_monitor_and_reads_the_gates_verdict_in_both_languages(
        page: Page, production: str, runs_dir: Path, shot) -> None:
    ui.open_app(page, f"/monitor?run={production}")
    page.get_by_text("Retrain with a gate").click()
    expect(page.get_by_text("200 new labels since the last retraining.")).to_be_visible()
    ui.key(page, "monitor_retrain_eval").get_by_role("combobox").click()  # the fixed evaluation file, by mouse
    page.get_by_role("option", name="eval-fixed.csv").click()
    ui.wait_idle(page)
    ui.expect_selected(page, "monitor_retrain_eval", "eval-fixed.csv")
    ui.set_input(page, "monitor_retrain_margin", "10")
    shot("retrain-settings")
    ui.key(page, "monitor_retrain").get_by_role("button").click()
    verdict = page.get_by_text(re.compile(r"The new model beats production on eval-fixed\.csv: macro_f1 0\.9\d\d"))
    ui.patiently(lambda ms: expect(verdict).to_be_visible(timeout=ms))
    expect(page.get_by_text("no slice lost more than 10%")).to_be_visible()
    expect(page.get_by_text("0 new labels since the last retraining.")).to_be_visible()
    shot("retrain-verdict", doc="monitor-retrain")
    ui.expect_no_traceback(page)

    ui.key(page, "sidebar_language").get_by_role("combobox").click()  # the same verdict, in Chinese
    page.get_by_role("option", name="简体中文").click()
    ui.wait_idle(page)
    expect(page.get_by_text("带关卡的重新训练")).to_be_visible()
    expect(page.get_by_text(re.compile(r"新模型在 eval-fixed\.csv 上胜过生产模型"))).to_be_visible()
    ui.expect_selected(page, "monitor_retrain_rule", "否，只在我按下重新训练时")
    shot("retrain-verdict-zh")
    ui.key(page, "sidebar_language").get_by_role("combobox").click()
    page.get_by_role("option", name="English", exact=True).click()
    ui.wait_idle(page)
    expect(page.get_by_text("Retrain with a gate")).to_be_visible()

    page.reload()  # the verdict is kept with the new run, not in the session
    ui.wait_idle(page)
    expect(verdict).to_be_visible()
    gates = [json.loads(p.read_text()) for p in runs_dir.glob("*/gate.json")]
    mine = [g for g in gates if g.get("production_id") == production]
    assert len(mine) == 1 and mine[0]["state"] == "judged" and mine[0]["verdict"]["passed"]
    assert mine[0]["settings"]["margin"] == pytest.approx(0.10)
    assert mine[0]["settings"]["eval_file"].endswith("eval-fixed.csv")


def test_a_saved_rule_retrains_by_itself_once_enough_labels_arrived_with_a_labeled_table_added(
        page: Page, production: str, runs_dir: Path, e2e_work: Path, shot) -> None:
    labeled = e2e_work / "datasets" / "labeling-export.csv"
    pd.DataFrame(sentiment_rows(30, seed=5), columns=["review", "sentiment"]).assign(
        label_source=["person", "llm", "accepted_suggestion"] * 10).to_csv(labeled, index=False)
    ui.open_app(page, f"/monitor?run={production}")
    page.get_by_text("Retrain with a gate").click()
    ui.key(page, "monitor_retrain_eval").get_by_role("combobox").click()
    page.get_by_role("option", name="eval-fixed.csv").click()
    ui.wait_idle(page)
    ui.key(page, "monitor_retrain_tables").get_by_role("combobox").click()  # the labeling store's table
    page.get_by_role("option", name="labeling-export.csv").click()
    page.keyboard.press("Escape")
    ui.wait_idle(page)
    expect(page.get_by_text("230 new labels since the last retraining.")).to_be_visible()
    ui.key(page, "monitor_retrain_rule").get_by_role("combobox").click()
    page.get_by_role("option", name="Every N new labels").click()
    ui.wait_idle(page)
    ui.set_input(page, "monitor_retrain_every_n", "500")
    ui.key(page, "monitor_retrain_save").get_by_role("button").click()
    ui.wait_idle(page)
    expect(page.get_by_text("No retraining yet.")).to_be_visible()  # 230 < 500: the rule waits
    ui.set_input(page, "monitor_retrain_every_n", "200")
    ui.key(page, "monitor_retrain_save").get_by_role("button").click()  # 230 >= 200: the rule starts one
    verdict = page.get_by_text(re.compile(r"The new model beats production on eval-fixed\.csv"))
    ui.patiently(lambda ms: expect(verdict).to_be_visible(timeout=ms))
    shot("retrain-by-rule")
    page.reload()
    ui.wait_idle(page)
    ui.expect_selected(page, "monitor_retrain_rule", "Every N new labels")  # the saved rule comes back
    expect(page.get_by_text("0 new labels since the last retraining.")).to_be_visible()
    mine = [json.loads(p.read_text()) for p in runs_dir.glob("*/gate.json")]
    mine = [g for g in mine if g.get("production_id") == production]
    assert len(mine) == 1 and mine[0]["rows"]["labeling-export.csv"] == 30 and mine[0]["settings"]["rule"] == "every_n"
    ui.expect_no_traceback(page)
