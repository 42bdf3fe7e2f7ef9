"""The engine's shared measures: one footprint for Deploy and Make it smaller, Monitor's drift read from the run,
one list of headline metrics."""
from __future__ import annotations

import pandas as pd

from tuneboard.config import TrainConfig
from tuneboard.paths import ModelFiles, RunFiles
from tuneboard.protocol import HEADLINE_METRICS, HEADLINES, headline_scores
from tuneboard.runs import create_run
from tuneboard.serve import format_bytes, measure, served_drift
from tuneboard.serve.traffic import TrafficView


class Echo:
    def __init__(self):
        self.calls = []

    def scores(self, texts, pairs=None):
        self.calls.append(len(texts))
        return [[1.0, 0.0]] * len(texts)


def test_a_formats_footprint_is_its_weight_files_or_its_onnx_file():
    run = create_run(TrainConfig(data="d.csv"))
    run.model_dir.mkdir()
    (run.model_dir / "model.safetensors").write_bytes(b"w" * 1000)
    (run.model_dir / "tokenizer.json").write_bytes(b"t" * 500)  # not weights
    onnx = run.path / RunFiles.ONNX / "int8"
    onnx.mkdir(parents=True)
    (onnx / ModelFiles.ONNX).write_bytes(b"o" * 300)
    assert (format_bytes(run, "torch"), format_bytes(run, "onnx-int8")) == (1000, 300)


def test_the_measure_times_one_text_then_every_row_of_each_model():
    a, b = Echo(), Echo()
    (p50, rps, scores), _ = measure([a, b], ["x", "y", "z", "w"], None, single=5, rounds=2)
    assert a.calls == b.calls == [1, 1, 1, 1, 1, 1, 1, 1, 4, 4]  # 3 warm-ups, 5 single texts, 2 passes
    assert p50 >= 0 and rps > 0 and len(scores) == 4


def test_monitor_compares_the_traffic_with_what_the_run_predicted_on_validation():
    run = create_run(TrainConfig(data="d.csv"))
    run.write_json(RunFiles.METRICS, {"labels": ["neg", "pos"]})
    pd.DataFrame({"predicted": ["pos"] * 40, "confidence": [0.9] * 40}).to_parquet(run.path / RunFiles.PREDICTIONS)
    hist = [0] * 9 + [40]
    drift = served_drift(run, TrafficView(rows=40, label_counts={"pos": 40}, confidence_hist=hist))
    assert drift["labels"] == ["neg", "pos"] and drift["validation_labels"] == drift["served_labels"] == [0, 40]
    assert drift["level"] == "stable"


def test_the_headline_metrics_are_each_tasks_in_one_order():
    assert HEADLINE_METRICS == ("accuracy", "macro_f1", "weighted_f1", "micro_f1", "subset_accuracy", "rmse", "mae",
                                "r2")
    assert set(HEADLINE_METRICS) == {k for keys in HEADLINES.values() for k in keys}
    scores = {"macro_f1": 0.5, "accuracy": 0.75, "per_class": {}, "eval_loss": 0.3, "n": 10}
    assert list(headline_scores(scores)) == ["accuracy", "macro_f1"]
    assert headline_scores(scores, extra=("eval_loss",))["eval_loss"] == 0.3
