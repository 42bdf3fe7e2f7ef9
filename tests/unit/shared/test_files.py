"""Safe writes: atomic JSON, a per-run lock, a plain disk-full error, CSV cells
a spreadsheet will not run, corrected copies that never overwrite each other."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tuneboard import files
from tuneboard.config import TrainConfig
from tuneboard.errors import DiskFull
from tuneboard.evaluate.corrections import save_corrected_copy
from tuneboard.evaluate.evaluation import set_threshold
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[3]


def test_300_reads_while_a_json_file_is_rewritten_never_see_half_a_file(tmp_path):
    path = tmp_path / "baseline.json"
    big = {"labels": [f"label-{i}" for i in range(3000)], "threshold": 0.5}
    files.write_json_atomic(path, big)
    stop, failures = threading.Event(), []

    def rewrite() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            files.write_json_atomic(path, {**big, "threshold": (i % 99 + 1) / 100})

    writers = [threading.Thread(target=rewrite) for _ in range(2)]
    for w in writers:
        w.start()
    try:
        for _ in range(300):
            try:
                assert len(json.loads(path.read_text(encoding="utf-8"))["labels"]) == 3000
            except (ValueError, KeyError, AssertionError) as e:
                failures.append(e)
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert failures == []
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_threshold_saves_keep_metrics_json_whole(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    before = run.metrics()
    thresholds = [round(0.05 + 0.03 * i, 2) for i in range(24)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda t: set_threshold(run.path, t), thresholds))
    after = json.loads((run.path / "metrics.json").read_text(encoding="utf-8"))
    assert set(before) <= set(after)  # every other key intact
    for key in ("task", "labels", "main_metric", "n_train", "n_val", "train_runtime_s"):
        assert after[key] == before[key]
    saved = json.loads((run.path / "model" / "baseline.json").read_text(encoding="utf-8"))["threshold"]
    assert after["threshold"] in thresholds and saved in thresholds


def _bump(path: str, n: int) -> None:
    for _ in range(n):
        files.update_json(path, lambda d: d.update(count=d.get("count", 0) + 1))


def test_the_run_folder_lock_serialises_processes_and_threads(tmp_path):
    path = tmp_path / "counter.json"
    code = f"from tests.unit.shared.test_files import _bump; _bump({str(path)!r}, 100)"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
             for _ in range(2)]
    threads = [threading.Thread(target=_bump, args=(str(path), 100)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    assert json.loads(path.read_text())["count"] == 400


def test_the_lock_is_reentrant_in_one_thread(tmp_path):
    with files.locked(tmp_path), files.locked(tmp_path):
        files.update_json(tmp_path / "a.json", lambda d: d.update(x=1))
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}


def test_a_full_disk_is_one_plain_line_and_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    files.write_json_atomic(target, {"kept": True})

    def no_space(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", no_space)
    with pytest.raises(DiskFull, match=r"^Disk full: writing 'metrics.json' needs [\d.]+ MB but [\d.]+ MB are free"):
        files.write_json_atomic(target, {"kept": False, "pad": "x" * 2_000_000})
    monkeypatch.undo()
    assert json.loads(target.read_text()) == {"kept": True}  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_csv_cells_that_start_a_formula_are_escaped_and_numbers_stay_numbers():
    df = pd.DataFrame({"text": ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3",
                                "\tTAB", "\rCR", "plain", None],
                       "as_text": ["-1", "+2.5", "-1e3", "-", "-x", "3", "=1", "@"],
                       "score": [-1.5, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0, 8.0],
                       "=evil": np.arange(8)})
    out = pd.read_csv(pd.io.common.BytesIO(files.safe_csv(df)), keep_default_na=False)
    assert out["text"].tolist()[:6] == ["'=HYPERLINK(\"http://x\",\"y\")", "'+cmd|' /C calc'!A0", "'@SUM(A1)", "'-2+3",
                                        "'\tTAB", "'\rCR"]
    assert out["text"].tolist()[6:] == ["plain", ""]
    assert out["score"].tolist() == [-1.5, 2.0, 3.0, -4.0, 5.0, 6.0, 7.0, 8.0]
    assert out["as_text"].tolist() == ["-1", "+2.5", "-1e3", "'-", "'-x", "3", "'=1", "'@"]
    assert list(out.columns) == ["text", "as_text", "score", "'=evil"]
    assert df["text"][0].startswith("=")  # the caller's frame is not changed


def test_two_corrected_copies_in_the_same_second_do_not_overwrite_each_other(sentiment_csv, monkeypatch):
    import time as _time

    monkeypatch.setattr(_time, "strftime", lambda fmt, *a: "20250101-120000")
    texts = pd.read_csv(sentiment_csv)["review"]
    first, _ = save_corrected_copy(sentiment_csv, "review", "sentiment", {texts[0]: None})
    second, _ = save_corrected_copy(sentiment_csv, "review", "sentiment", {texts[1]: "positive"})
    assert first != second
    assert len(pd.read_csv(first)) == 199 and len(pd.read_csv(second)) == 200


@pytest.fixture
def usual_umask():
    """The umask most servers run with (022), under which a library's files come out 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_every_file_a_run_leaves_is_0600_in_0700_folders(sentiment_csv, tiny_model, tmp_path, usual_umask):
    from tuneboard.evaluate.report import write_report
    from tuneboard.paths import runs_root
    from tuneboard.runs.liveness import HEARTBEAT_FILE
    from tuneboard.serve.monitor import PredictionLog, log_path

    run = execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=16, max_length=32)).run
    write_report(run.path)
    log = PredictionLog(log_path(run.path), store_texts=True)
    log.record([{"ts": 1.0, "latency_ms": 2.0, "label": "positive", "confidence": 0.9, "text": "a served text"}])
    log.close()
    save_corrected_copy(sentiment_csv, "review", "sentiment", {pd.read_csv(sentiment_csv)["review"][0]: None})

    models = runs_root().parent  # runs, token cache, corrected copies: everything but the test's own table
    found = [p for p in models.rglob("*") if p != sentiment_csv]
    names = {p.relative_to(run.path).as_posix() for p in found if p.is_relative_to(run.path)}
    assert {"predictions.parquet", "history.jsonl", "report.html", "monitor.sqlite", "model/config.json",
            "metrics.json", "config.json"} <= names  # the walk sees the files that hold texts
    loose = [f"{oct(p.stat().st_mode & 0o777)} {p.relative_to(models)}" for p in found
             if (p.stat().st_mode & 0o777) != (0o700 if p.is_dir() else 0o600) and p.name != HEARTBEAT_FILE]
    assert loose == []
