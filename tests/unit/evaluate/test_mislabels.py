"""Suspected mislabels: cleanlab on cross-validated TF-IDF probabilities flags labels flipped on purpose."""
import numpy as np
import pandas as pd
import pytest

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.evaluate.mislabels import find_suspects, suspects_in_predictions, suspects_in_run_data


def test_planted_flips_are_flagged_with_high_precision():
    rows = sentiment_rows(400, seed=1)
    texts, labels = [r[0] for r in rows], [r[1] for r in rows]
    flipped = set(np.random.default_rng(1).choice(400, 20, replace=False).tolist())  # 5 % of the labels
    for i in flipped:
        labels[i] = "negative" if labels[i] == "positive" else "positive"
    found = find_suspects(texts, labels)
    flagged = set(found["row"])
    assert len(flagged & flipped) / len(flagged) >= 0.9 and len(flagged & flipped) / len(flipped) >= 0.6
    top = found.iloc[0]
    assert top["row"] in flipped and top["suggested"] != top["label"] and texts[top["row"]] == top["text"]
    assert found["label_quality"].is_monotonic_increasing  # ranked: the most suspect first


def test_a_clean_table_has_almost_no_suspects():
    rows = sentiment_rows(200, seed=2)
    found = find_suspects([r[0] for r in rows], [r[1] for r in rows])
    assert len(found) <= 4


def test_run_data_and_predictions_entry_points(sentiment_csv):
    found = suspects_in_run_data(TrainConfig(data=str(sentiment_csv)))
    assert list(found.columns) == ["row", "text", "label", "suggested", "label_quality"]
    frame = pd.DataFrame({"text": ["a", "b", "c", "d"], "label": ["x", "x", "y", "y"],
                          "score_x": [0.9, 0.05, 0.1, 0.2], "score_y": [0.1, 0.95, 0.9, 0.8]})
    assert suspects_in_predictions(frame, ["x", "y"])["text"].tolist() == ["b"]
    with pytest.raises(ConfigError, match="per-class scores"):
        suspects_in_predictions(frame.drop(columns="score_y"), ["x", "y"])
    with pytest.raises(ConfigError, match="two classes"):
        find_suspects(["a", "b"], ["x", "x"], scores=np.ones((2, 1)))


def test_finding_suspects_on_a_many_core_server_thread_starts_no_worker_process(monkeypatch):
    """The server never forks: cleanlab's default pool (one process per physical core) deadlocked when forked
    from Streamlit's threads and kept the server's port after a crash."""
    import multiprocessing
    import threading

    import psutil

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker process was started")

    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 8)  # cleanlab sizes its pool from this
    monkeypatch.setattr(multiprocessing, "Pool", no_pool)
    rows = sentiment_rows(120, seed=3)
    box = {}

    def work():
        try:
            box["found"] = find_suspects([r[0] for r in rows], [r[1] for r in rows])
        except BaseException as e:  # noqa: BLE001 -- re-raised below, in the test's thread
            box["error"] = e

    worker = threading.Thread(target=work)  # as a page's script thread calls it
    worker.start()
    worker.join(60)
    assert "error" not in box, box.get("error")
    assert isinstance(box["found"], pd.DataFrame)
