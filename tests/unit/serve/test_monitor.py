"""The monitor log (hash-only by default), drift against validation, labeling back into a dataset, deploy."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tuneboard.serve import deploy, monitor, traffic
from tuneboard.team import access


def synthetic_log(run_path, confidences, labels, store_texts=False):
    log = monitor.PredictionLog(monitor.log_path(run_path), store_texts=store_texts, flush_s=60)
    now = time.time()
    log.record({"ts": now - 120 + i, "latency_ms": 5.0 + i % 7, "label": lab, "confidence": c,
                "text": f"text number {i}"} for i, (c, lab) in enumerate(zip(confidences, labels, strict=True)))
    log.close()


def validation(n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"confidence": rng.uniform(0.85, 1.0, n), "predicted": rng.choice(["neg", "pos"], n)})


def test_the_log_keeps_a_hash_and_length_unless_texts_are_stored(tmp_path):
    synthetic_log(tmp_path, [0.9, 0.6], ["pos", "neg"])
    log = monitor.read_log(tmp_path)
    assert len(log) == 2 and log["text"].isna().all() and log["text_len"].tolist() == [13, 13]
    key = monitor.digest_key(tmp_path)
    assert log["text_sha"].tolist() == [monitor.text_digest("text number 0", key),
                                        monitor.text_digest("text number 1", key)]
    synthetic_log(tmp_path, [0.7], ["neg"], store_texts=True)
    assert monitor.read_log(tmp_path).sort_values("id")["text"].tolist()[-1] == "text number 0"


def test_a_log_like_validation_is_stable_and_a_drifting_one_is_flagged(tmp_path):
    val = validation()
    like = validation(300, seed=1)
    stable = monitor.drift_report(pd.DataFrame({"confidence": like["confidence"], "label": like["predicted"]}),
                                  val, ["neg", "pos"])
    assert stable["level"] == "stable" and stable["psi"] < 0.1
    rng = np.random.default_rng(2)
    drifting = pd.DataFrame({"confidence": rng.uniform(0.5, 0.7, 300), "label": ["neg"] * 280 + ["pos"] * 20})
    report = monitor.drift_report(drifting, val, ["neg", "pos"])
    assert report["level"] == "significant" and report["psi"] > 0.25 and report["js"] > 0.3
    assert "shifted" in report["message"] and "\n" not in report["message"]
    few = monitor.drift_report(drifting.head(5), val, ["neg", "pos"])
    assert few["level"] == "unknown" and few["psi"] is None


def test_summary_lowest_confidence_and_labeled_rows_appended(tmp_path):
    synthetic_log(tmp_path, [0.95, 0.51, 0.7, 0.99], ["pos", "neg", "pos", "neg"], store_texts=True)
    view = traffic.traffic_view(tmp_path)
    assert view.rows == 4 and view.p50_ms == pytest.approx(6.5) and view.per_minute.sum() == 4
    unsure = traffic.lowest_confidence(tmp_path, n=2)
    assert unsure["text"].tolist() == ["text number 1", "text number 2"]
    dest = tmp_path / "feedback" / "run.csv"
    monitor.append_labeled(dest, pd.DataFrame({"text": ["a", "b"], "label": ["pos", ""]}))
    monitor.append_labeled(dest, pd.DataFrame({"text": ["c"], "label": ["neg"]}))
    assert pd.read_csv(dest).to_dict("list") == {"text": ["a", "c"], "label": ["pos", "neg"]}


def test_deploy_starts_a_server_per_model_answers_and_stops(sentiment_csv):
    from tuneboard.config import TrainConfig
    from tuneboard.train.pipeline import execute

    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    dep = deploy.start_deployment(run.path, user=access.LOCAL)
    try:
        assert deploy.start_deployment(run.path, user=access.LOCAL).pid == dep.pid  # one server per model
        deadline = time.time() + 90
        while deploy.health(dep) is None and time.time() < deadline:
            time.sleep(0.3)
        assert deploy.health(dep)["run_id"] == run.run_id, deploy.log_tail(dep)
        import json
        import urllib.request

        req = urllib.request.Request(f"{dep.url}/predict", data=json.dumps({"inputs": "great love"}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert json.loads(r.read())[0][0]["label"] in ("positive", "negative")
        assert [d.run_id for d in deploy.list_deployments()] == [run.run_id]
        assert "curl" in deploy.snippets(dep.url) and dep.url in deploy.snippets(dep.url)["InferenceClient"]
    finally:
        assert deploy.stop_deployment(run.run_id, user=access.LOCAL)
    assert deploy.get_deployment(run.run_id) is None and deploy.list_deployments() == []
    deadline = time.time() + 30  # the server flushes its monitor log on shutdown
    while len(monitor.read_log(run.path)) < 1 and time.time() < deadline:
        time.sleep(0.1)
    assert len(monitor.read_log(run.path)) == 1


def test_text_digests_are_keyed_with_a_private_secret_outside_the_run_folder(tmp_path):
    import hashlib
    import hmac
    import stat

    run = tmp_path / "runs" / "a-run"  # runs_root() is tmp_path / "runs" in the tests
    run.mkdir(parents=True)
    synthetic_log(run, [0.9], ["pos"])
    key_file = monitor.digest_key_path(run)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and run not in key_file.parents
    digest = monitor.read_log(run)["text_sha"].iloc[0]
    assert digest != hashlib.sha256(b"text number 0").hexdigest()[:16]  # a guessed text cannot be checked
    assert digest == hmac.new(key_file.read_bytes(), b"text number 0", hashlib.sha256).hexdigest()[:16]
    synthetic_log(run, [0.8], ["neg"])  # the same secret on the next start: digests stay comparable
    assert monitor.read_log(run)["text_sha"].nunique() == 1


def test_rows_lost_to_a_full_disk_are_counted_reported_and_kept_in_the_log(tmp_path, capsys):
    import sqlite3

    from tuneboard.serve.api import report_dropped_rows

    log = monitor.PredictionLog(monitor.log_path(tmp_path), flush_s=60, on_drop=report_dropped_rows)
    log.record([{"latency_ms": 1.0, "label": "pos", "confidence": 0.9, "text": "first"}])
    log.flush()
    # SQLite's own "database or disk is full": the file may not grow past its current pages
    log._con.execute(f"PRAGMA max_page_count = {log._con.execute('PRAGMA page_count').fetchone()[0]}")
    log.record({"latency_ms": 1.0, "label": "pos", "confidence": 0.9, "text": "x" * 2000} for _ in range(6001))
    with pytest.raises(sqlite3.Error):
        log.flush()
    assert log.stats()["log_dropped"] == 6001
    assert "6001 predictions could not be written" in capsys.readouterr().err
    log._con.execute("PRAGMA max_page_count = 1073741823")  # space again: the count reaches the file
    log.close()
    view = traffic.traffic_view(tmp_path)
    assert view.rows == 1 and view.dropped == 6001


def test_the_monitor_view_counts_in_sqlite_what_the_dataframe_path_finds_reading_a_bounded_sample(tmp_path,
                                                                                                 monkeypatch):
    rng = np.random.default_rng(3)
    conf = rng.uniform(0.45, 1.0, 3000).round(3).tolist()
    labels = rng.choice(["neg", "pos", "neg|pos"], 3000).tolist()
    synthetic_log(tmp_path, conf, labels, store_texts=True)
    monkeypatch.setattr(traffic, "LATENCY_SAMPLE", 500)
    view = traffic.traffic_view(tmp_path)
    log = monitor.read_log(tmp_path)
    assert view.rows == 3000 and view.latency_rows == 500 and view.per_minute.sum() == 3000
    assert view.label_counts == log["label"].value_counts().to_dict()
    assert view.confidence_hist == monitor.confidence_histogram(log["confidence"]).tolist()
    val = validation()
    assert (monitor.drift_from_counts(view.rows, view.confidence_hist, view.label_counts, val, ["neg", "pos"])
            == monitor.drift_report(log, val, ["neg", "pos"]))
    unsure = traffic.lowest_confidence(tmp_path, n=5)
    assert unsure["confidence"].tolist() == sorted(conf)[:5]


def test_the_log_writer_keeps_the_newest_rows_and_drops_old_days(tmp_path):
    log = monitor.PredictionLog(monitor.log_path(tmp_path), flush_s=60, retention=monitor.Retention(rows=50, days=1))
    now = time.time()
    log.record({"ts": now - 3 * 86400, "latency_ms": 1.0, "text": "old"} for _ in range(10))
    log.record({"ts": now, "latency_ms": 1.0, "text": f"new {i}"} for i in range(80))
    log.close()
    kept = monitor.read_log(tmp_path)
    assert len(kept) == 50 and kept["ts"].min() >= now - 1 and kept["id"].min() == 41
