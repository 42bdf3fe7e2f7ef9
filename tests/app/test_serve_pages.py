"""Monitor page with a synthetic log that drifts; Deploy page before anything is served."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.app.pages import drifting_log, open_page
from tuneboard.config import TrainConfig
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]




def test_monitor_shows_traffic_drift_and_lets_a_person_label_unsure_texts(sentiment_csv, tmp_path):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    at = open_page("monitor", run.run_id)
    assert any("No served predictions yet" in i.value for i in at.info)

    drifting_log(run.path, 120, prefix="drifting text")
    at = open_page("monitor", run.run_id)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Predictions"] == "120" and shown["Latency p50"].endswith("ms")
    assert len(at.error) == 1 and "shifted" in at.error[0].value  # the drift alert, in plain words
    assert len(at.get("plotly_chart")) == 3
    unsure = at.dataframe[0].value
    assert len(unsure) == 20 and unsure["confidence"].is_monotonic_increasing
    at.button(key="monitor_append").click().run()
    assert not at.exception and len(at.error) == 2  # nothing labeled yet: one plain message
    assert "give each text a label" in at.error[1].value
    # a person labels the two least sure texts in the table, then adds them
    at.session_state["monitor_labels"] = {"edited_rows": {0: {"label": "positive"}, 1: {"label": "negative"}},
                                          "added_rows": [], "deleted_rows": []}
    at.button(key="monitor_append").click().run()
    assert not at.exception and not at.error[1:]
    added = pd.read_csv(run.path.parent.parent / "feedback" / f"{run.run_id}.csv")
    assert added.to_dict("list") == {"text": unsure["text"].tolist()[:2], "label": ["positive", "negative"]}


def test_deploy_page_offers_start_snippets_and_the_format_table(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    at = open_page("deploy", run.run_id)
    assert any("Not deployed" in i.value for i in at.info)
    codes = [c.value for c in at.code]
    assert any(c.startswith("curl") for c in codes) and any("InferenceClient" in c for c in codes)
    at.button(key="deploy_measure").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["Format"].tolist() == ["TF-IDF (scikit-learn)"] and table["One text p50 (ms)"].iloc[0] > 0
    assert any("deploy it as it is" in s.value for s in at.success)


def test_monitor_reads_aggregates_not_the_whole_log_and_shows_rows_the_server_could_not_write(sentiment_csv,
                                                                                               monkeypatch):
    import sqlite3

    from tuneboard.serve import monitor

    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    drifting_log(run.path, 120, prefix="drifting text")
    con = sqlite3.connect(monitor.log_path(run.path))
    with con:  # what a server that lost rows to a full disk leaves in the log once it can write again
        con.execute("INSERT OR REPLACE INTO monitor_state VALUES ('dropped', 6001)")
    con.close()

    def whole_log(*args, **kwargs):
        raise AssertionError("the Monitor page read the whole log")

    monkeypatch.setattr(monitor, "read_log", whole_log)
    monkeypatch.setattr(pd, "read_sql_query", whole_log)
    at = open_page("monitor", run.run_id)
    assert {m.label: m.value for m in at.metric}["Predictions"] == "120"
    assert any("6,001 served predictions were not logged" in w.value for w in at.warning)
    assert len(at.dataframe[0].value) == 20
