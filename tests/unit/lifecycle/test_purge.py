"""Delete for good: the run's export, its token-cache entries and the upload or corrected
copy only it used go with it; what another run still uses, or what lies outside Tuneboard's folders, stays."""
from __future__ import annotations

import os
import shutil
import signal

from tuneboard.config import TrainConfig
from tuneboard.lifecycle.purge import CACHE_KEYS_FILE, delete_for_good, token_cache_dir
from tuneboard.predict.batching import encode_cached
from tuneboard.serve.export import export_run
from tuneboard.train.pipeline import execute


def test_delete_removes_everything_derived_from_the_run_and_nothing_shared(tmp_path, monkeypatch, sentiment_csv,
                                                                           tiny_model):
    from transformers import AutoTokenizer

    uploads = tmp_path / "uploads"
    monkeypatch.setenv("TUNEBOARD_UPLOADS_DIR", str(uploads))
    mine, shared = uploads / "aaa" / "mine.csv", uploads / "bbb" / "shared.csv"
    for p in (mine, shared):
        p.parent.mkdir(parents=True)
        shutil.copy(sentiment_csv, p)
    run = execute(TrainConfig(data=str(mine), validation=str(shared), model="tfidf")).run
    other = execute(TrainConfig(data=str(shared), model="tfidf")).run
    tok = AutoTokenizer.from_pretrained(tiny_model)
    encode_cached(tok, ["only this run"], None, 16, None, token_cache_dir(), used_by=run.path)
    encode_cached(tok, ["both runs"], None, 16, None, token_cache_dir(), used_by=run.path)
    encode_cached(tok, ["both runs"], None, 16, None, token_cache_dir(), used_by=other.path)
    entries = sorted(token_cache_dir().iterdir())
    assert len(entries) == 2 and len((run.path / CACHE_KEYS_FILE).read_text().split()) == 2
    only_mine = next(e for e in entries if e.name not in (other.path / CACHE_KEYS_FILE).read_text())
    zipped = export_run(run.path)

    removed = delete_for_good(run)

    assert removed[0] == str(run.path) and not run.path.exists()
    assert set(removed[1:]) == {str(zipped), str(only_mine), str(mine.resolve())}
    assert not mine.parent.exists()  # the upload's hash folder went with it
    assert shared.exists() and other.path.exists() and sentiment_csv.exists()
    assert [e for e in token_cache_dir().iterdir()] == [e for e in entries if e != only_mine]


def test_a_run_naming_files_outside_tuneboard_folders_deletes_only_itself(tmp_path, sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    (run.path / CACHE_KEYS_FILE).write_text("../../../etc/passwd\n" + "a" * 40 + ".arrow\n")
    assert delete_for_good(run) == [str(run.path)]
    assert sentiment_csv.exists()


def test_deleting_a_deployed_run_stops_its_api_and_removes_every_file_of_it(sentiment_csv):
    import json
    import time
    import urllib.request

    import pandas as pd

    from tuneboard.serve import deploy, monitor
    from tuneboard.team import access

    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    dep = deploy.start_deployment(run.path, user=access.LOCAL)
    try:
        deadline = time.time() + 90
        while deploy.health(dep) is None and time.time() < deadline and deploy.servers(run.path):
            time.sleep(0.2)  # waits on the server answering, not on a clock
        req = urllib.request.Request(f"{dep.url}/predict", data=json.dumps({"inputs": "great love"}).encode(),
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).close()
        feedback = monitor.append_labeled(monitor.feedback_path(run.run_id),
                                          pd.DataFrame({"text": ["great love"], "label": ["positive"]}))
        record, log = deploy.record_path(run.run_id), deploy.log_path(run.run_id)
        assert record.is_file() and log.is_file() and feedback.is_file()

        removed = delete_for_good(run)

        assert deploy.servers(run.path) == [] and deploy.health(dep, timeout=2) is None
        assert set(removed) >= {str(run.path), str(log), str(feedback)}  # the record went with the stop
        assert not run.path.exists() and not record.exists() and not log.exists() and not feedback.exists()
    finally:
        for pid in deploy.servers(run.path):  # a failing run must not leave a server behind
            os.kill(pid, signal.SIGKILL)
