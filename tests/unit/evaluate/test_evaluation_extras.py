"""Engine pieces of Evaluate: coaching, compare, saved threshold, corrected dataset copies."""
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError, DataError
from tuneboard.evaluate.coaching import coach
from tuneboard.evaluate.compare import compare_runs
from tuneboard.evaluate.corrections import save_corrected_copy
from tuneboard.evaluate.evaluation import set_threshold
from tuneboard.predict.inference import Predictor
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[3]


def test_coach_spots_overfitting_ignored_classes_and_a_winning_baseline():
    history = ([{"type": "train", "loss": x} for x in (1.0, 0.6, 0.3, 0.1)]
               + [{"type": "eval", "epoch": i + 1, "eval_loss": v, "macro_f1": f}
                  for i, (v, f) in enumerate([(0.5, 0.6), (0.4, 0.7), (0.6, 0.68), (0.8, 0.66)])])
    metrics = {"task": "single_label", "main_metric": "macro_f1", "higher_is_better": True, "macro_f1": 0.7,
               "per_class": {"a": {"recall": 0.9, "support": 50}, "rare": {"recall": 0.1, "support": 5}},
               "baseline": {"macro_f1": 0.75}, "n_val": 100}
    titles = [t["title"] for t in coach(history, metrics)]
    assert "Overfitting" in titles and "Classes the model ignores" in titles and "The simple baseline wins" in titles
    healthy = coach([{"type": "eval", "eval_loss": 0.5, "macro_f1": 0.9}],
                    {**metrics, "per_class": {}, "baseline": {"macro_f1": 0.8}, "macro_f1": 0.9})
    assert [t["severity"] for t in healthy] == ["success"]


def test_compare_threshold_and_corrections_round_trip(sentiment_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_DATASETS_DIR", str(tmp_path / "datasets"))
    a = execute(TrainConfig(data=str(sentiment_csv), model="tfidf", seed=1))
    b = execute(TrainConfig(data=str(sentiment_csv), model="tfidf", seed=2))
    result = compare_runs([a.run.path, b.run.path])
    assert [r["run_id"] for r in result["rows"]] == [a.run.run_id, b.run.run_id]
    assert set(result["config_diff"]) == {"seed"}
    r = subprocess.run([sys.executable, "-m", "tuneboard", "compare", str(a.run.path), str(b.run.path), "--json"],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and json.loads(r.stdout)["config_diff"]["seed"]

    fresh = set_threshold(a.run.path, 0.99)
    assert fresh["threshold"] == 0.99 and json.loads((a.run.path / "metrics.json").read_text())["threshold"] == 0.99
    assert Predictor.load(a.run.path).threshold == 0.99
    with pytest.raises(ConfigError):
        set_threshold(a.run.path, 1.5)

    first = pd.read_csv(sentiment_csv).iloc[0]
    path, counts = save_corrected_copy(sentiment_csv, "review", "sentiment",
                                       {first["review"]: "negative" if first["sentiment"] == "positive" else "positive",
                                        pd.read_csv(sentiment_csv).iloc[1]["review"]: None})
    assert counts["relabelled"] >= 1 and counts["excluded"] >= 1
    assert len(pd.read_csv(path)) == len(pd.read_csv(sentiment_csv)) - counts["excluded"]
    assert pd.read_csv(sentiment_csv).iloc[0]["sentiment"] == first["sentiment"]  # original untouched
    retrain = execute(TrainConfig(data=str(path), model="tfidf"))
    assert retrain.status == "completed"
    with pytest.raises(DataError, match="No corrections"):
        save_corrected_copy(sentiment_csv, "review", "sentiment", {})
