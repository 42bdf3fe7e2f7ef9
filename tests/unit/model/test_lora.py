"""LoRA runs: small adapter, merged model that a plain transformers pipeline loads and that agrees with
Tuneboard's Predictor; the memory estimate counts only the trainable parameters."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from tuneboard.config import TrainConfig
from tuneboard.model.catalog import describe_model
from tuneboard.model.memory import estimate_for
from tuneboard.predict.inference import Predictor
from tuneboard.train import pipeline as training


@pytest.fixture(scope="module")
def lora_run(tiny_model, tmp_path_factory):
    import csv

    from tests.conftest import sentiment_rows

    path = tmp_path_factory.mktemp("lora") / "sentiment.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("review", "sentiment"), *sentiment_rows()])
    cfg = TrainConfig(data=str(path), model=tiny_model, epochs=8, batch_size=16, learning_rate=1e-2, max_length=32,
                      lora=True, lora_rank=4, lora_alpha=8, early_stopping_patience=0,
                      output_dir=str(tmp_path_factory.mktemp("runs")))
    return training.execute(cfg)


def test_a_lora_run_saves_a_small_adapter_and_a_merged_model(lora_run):
    run = lora_run.run.path
    adapter, model = run / "adapter" / "adapter_model.safetensors", run / "model" / "model.safetensors"
    assert adapter.is_file() and model.is_file()
    assert adapter.stat().st_size < model.stat().st_size / 3
    assert json.loads((run / "adapter" / "adapter_config.json").read_text())["r"] == 4
    info = lora_run.metrics["lora"]
    assert info["trainable_parameters"] < info["parameters"] / 3 and info["adapter_bytes"] > 0
    assert not any("lora" in k for k in json.loads((run / "model" / "config.json").read_text()))  # plain model
    assert lora_run.metrics["accuracy"] >= 0.8   # it learned through the adapters


def test_the_merged_model_loads_in_a_plain_pipeline_and_agrees_with_the_predictor(lora_run):
    from transformers import pipeline

    texts = ["great love happy wonderful", "awful hate terrible broken", "the refund was slow and bad",
             "amazing fast excellent app"]
    plain = pipeline("text-classification", model=str(lora_run.run.path / "model"), device="cpu")
    ours = Predictor.load(lora_run.run.path).predict(texts)
    assert [r["label"] for r in plain(texts)] == [r["label"] for r in ours]
    assert {r["label"] for r in ours} == {"positive", "negative"}
    # merged = trained: the merged weights predict what the kept evaluation predicted, row for row
    preds = pd.read_parquet(lora_run.run.path / "predictions.parquet")
    again = Predictor.load(lora_run.run.path).predict(preds["text"].tolist())
    assert [r["label"] for r in again] == preds["predicted"].tolist()


def test_memory_estimate_with_lora_keeps_optimizer_state_for_the_adapters_only(tiny_model):
    card = describe_model(tiny_model)
    full = estimate_for(card, 16, 64, freeze_embeddings=False)
    light = estimate_for(card, 16, 64, freeze_embeddings=False, lora_rank=4)
    assert light.optimizer_gb < full.optimizer_gb / 2 and light.gradients_gb < full.gradients_gb / 2
    assert light.weights_gb == full.weights_gb and light.activations_gb == full.activations_gb
