"""Safe files: a TF-IDF model is never unpickled, whoever made the file."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import ModelLoadError, RunError
from tuneboard.predict.baseline import BASELINE_FILE
from tuneboard.predict.inference import Predictor
from tuneboard.serve.export import export_run
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[3]


class _Payload:
    """Unpickling this writes a marker file: proof that loading ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def _plant_pickle(run_path: Path, marker: Path) -> Path:
    model = run_path / "model"
    (model / BASELINE_FILE).unlink(missing_ok=True)
    (model / "baseline.joblib").write_bytes(pickle.dumps(_Payload(marker)))
    return model


def test_a_tfidf_run_is_saved_without_pickle_and_predicts(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    names = {p.name for p in (run.path / "model").iterdir()}
    assert BASELINE_FILE in names and "baseline.joblib" not in names
    assert Predictor.load(run.path).predict(["great amazing happy"])[0]["label"] == "positive"


def test_a_crafted_pickle_in_baseline_joblib_is_never_executed_by_predictor_load(sentiment_csv, tmp_path):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    marker = tmp_path / "marker.txt"
    model = _plant_pickle(run.path, marker)
    pickle.loads((model / "baseline.joblib").read_bytes())  # the payload is live: unpickling writes the marker
    assert marker.exists()
    marker.unlink()
    with pytest.raises(ModelLoadError, match="old pickle format.*Train the run again"):
        Predictor.load(run.path).predict(["hello"])
    with pytest.raises(RunError, match="pickle"):
        export_run(run.path)
    assert not marker.exists()


def test_a_crafted_pickle_is_never_executed_by_the_cli(sentiment_csv, tmp_path):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    marker = tmp_path / "marker.txt"
    _plant_pickle(run.path, marker)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "tuneboard", "predict", str(run.path), "--text", "hello"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "baseline.joblib" in proc.stderr
    assert not marker.exists()


def test_a_pickle_renamed_to_the_safe_name_is_refused_too(sentiment_csv, tmp_path):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    marker = tmp_path / "marker.txt"
    (run.path / "model" / BASELINE_FILE).write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ModelLoadError, match="could not be loaded safely"):
        Predictor.load(run.path)
    assert not marker.exists()
