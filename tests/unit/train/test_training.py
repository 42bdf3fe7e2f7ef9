import csv
import json
import threading

import pandas as pd
import pytest
import torch

from tuneboard.config import TrainConfig
from tuneboard.errors import DataError, OutOfMemory
from tuneboard.predict.inference import Predictor
from tuneboard.runs.folder import list_runs
from tuneboard.train import loop as trainer
from tuneboard.train import pipeline as training


def quick(tiny_model, data, **kw):
    base = dict(data=str(data), model=tiny_model, epochs=4, batch_size=16, learning_rate=3e-3,
                freeze_embeddings=False, max_length=32, early_stopping_patience=0)
    return TrainConfig(**{**base, **kw})


def test_trains_learns_and_writes_a_complete_run_folder(tiny_model, sentiment_csv):
    events = []
    result = training.execute(quick(tiny_model, sentiment_csv, epochs=6), on_event=events.append)
    assert result.status == "completed"
    files = {p.name for p in result.run.path.iterdir()}
    assert {"config.json", "status.json", "history.jsonl", "metrics.json", "predictions.parquet", "model"} <= files
    assert (result.run.model_dir / "model.safetensors").is_file()
    m = json.loads((result.run.path / "metrics.json").read_text())
    assert m["accuracy"] >= 0.8 and m["macro_f1"] >= 0.8          # learnable data: it must learn
    assert set(m["per_class"]) == {"negative", "positive"}
    assert m["confusion_matrix"]["labels"] == ["negative", "positive"]
    kinds = [e["type"] for e in events]
    assert kinds.count("eval") == 6 and "train" in kinds and kinds[-1] == "status"
    train = [e for e in events if e["type"] == "train"]
    assert all(0 < e["progress"] <= 1 for e in train) and train[-1]["progress"] == pytest.approx(1.0)
    assert [e["type"] for e in result.run.history()] == kinds     # the file mirrors the events
    preds = pd.read_parquet(result.run.path / "predictions.parquet")
    assert len(preds) == m["n_val"] and {"label", "predicted", "confidence"} <= set(preds.columns)
    p = Predictor.load(result.run.path)
    out = p.predict(["great love happy wonderful", "awful hate terrible broken"])
    assert [r["label"] for r in out] == ["positive", "negative"]
    assert sum(out[0]["scores"].values()) == pytest.approx(1.0)


def test_bad_data_fails_before_any_run_folder_exists(tiny_model, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\nhello there,a\nhi again,a\nhowdy,a\n")
    with pytest.raises(DataError, match="same label"):
        training.execute(quick(tiny_model, path))
    assert list_runs() == []


def test_stop_keeps_the_best_model_so_far(tiny_model, sentiment_csv):
    stop = threading.Event()
    seen = []

    def on_event(e):
        seen.append(e)
        if e["type"] == "eval":
            stop.set()  # stop right after the first evaluation

    result = training.execute(quick(tiny_model, sentiment_csv, epochs=50), on_event=on_event, stop=stop)
    assert result.status == "stopped"
    assert result.run.status()["status"] == "stopped"
    assert (result.run.model_dir / "model.safetensors").is_file()
    assert sum(e["type"] == "eval" for e in seen) == 1


def test_out_of_memory_halves_the_batch_and_goes_on(tiny_model, sentiment_csv, monkeypatch):
    real_step = trainer.train_step

    def flaky(model, batch, amp, loss_fn=None):
        if batch["input_ids"].shape[0] > 4:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_step(model, batch, amp, loss_fn)

    monkeypatch.setattr(trainer, "train_step", flaky)
    events = []
    result = training.execute(quick(tiny_model, sentiment_csv, epochs=1), on_event=events.append)
    assert result.status == "completed"
    assert result.metrics["batch_size_final"] == 4
    notices = [e["message"] for e in events if e["type"] == "notice"]
    assert any("batch size 8" in n for n in notices) and any("batch size 4" in n for n in notices)
    train = [e for e in events if e["type"] == "train"]
    assert train[-1]["progress"] == pytest.approx(1.0)  # every example was still trained on


def test_out_of_memory_at_batch_one_fails_with_a_plain_message(tiny_model, sentiment_csv, monkeypatch):
    def always_oom(model, batch, amp, loss_fn=None):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 99 GB")

    monkeypatch.setattr(trainer, "train_step", always_oom)
    with pytest.raises(OutOfMemory, match="batch of 1"):
        training.execute(quick(tiny_model, sentiment_csv, batch_size=2))
    assert list_runs()[0].status()["status"] == "failed"


def test_multi_label_regression_and_text_pairs_train(tiny_model, tmp_path):
    rows = [("great love", "good|happy", "4.5", "great love", "yes"), ("awful hate", "bad", "1.2", "x", "no"),
            ("love fast", "good", "4.0", "love", "yes"), ("happy", "happy", "3.5", "slow", "no")] * 15
    path = tmp_path / "multi.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "tags", "score", "other", "match"])
        for i, r in enumerate(rows):
            w.writerow([f"{r[0]} {i % 7}", r[1], str(float(r[2]) + (i % 9) / 10), r[3], r[4]])
    multi = training.execute(quick(tiny_model, path, text_column="text", label_column="tags", epochs=2))
    assert multi.metrics["task"] == "multi_label" and "micro_f1" in multi.metrics
    reg = training.execute(quick(tiny_model, path, text_column="text", label_column="score", epochs=2))
    assert reg.metrics["task"] == "regression"
    preds = pd.read_parquet(reg.run.path / "predictions.parquet")  # the kept model's validation predictions
    assert len(preds) == reg.metrics["n_val"] > 0
    assert reg.metrics["rmse"] == pytest.approx(float((preds["error"] ** 2).mean() ** 0.5), rel=1e-4)
    assert reg.metrics["mae"] == pytest.approx(float(preds["error"].abs().mean()), rel=1e-4)
    assert Predictor.load(reg.run.path).predict(["great love"])[0]["label"] > 0
    pair = training.execute(quick(tiny_model, path, text_column="text", text_pair_column="other",
                                  label_column="match", epochs=1))
    assert pair.metrics["task"] == "single_label"
