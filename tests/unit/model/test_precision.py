"""The precision setting: bfloat16 training steps where the chip computes them natively, fp32
evaluations and predictions on the CPU so the reported scores are what the saved model predicts."""
import pandas as pd
import pytest
import torch

from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.model import device
from tuneboard.predict.inference import Predictor
from tuneboard.train import pipeline as training

CPU = torch.device("cpu")


def quick(tiny_model, data, **kw):
    base = dict(data=str(data), model=tiny_model, epochs=3, batch_size=16, learning_rate=3e-3,
                freeze_embeddings=False, max_length=32, early_stopping_patience=0)
    return TrainConfig(**{**base, **kw})


@pytest.mark.parametrize("native, expected", [(True, torch.bfloat16), (False, None)])
def test_auto_trains_in_bf16_only_on_a_cpu_with_native_bf16(monkeypatch, native, expected):
    monkeypatch.setattr(device, "native_cpu_bf16", lambda: native)
    assert device.amp_dtype(CPU, "auto") is expected
    assert device.amp_dtype(CPU, "fp32") is None
    assert device.amp_dtype(CPU, "bf16") is torch.bfloat16  # asked for: even where it is emulated
    assert device.inference_amp(CPU, "auto") is None  # predictions on the CPU stay in full precision


def test_the_cpu_probe_answers_a_bool():
    assert isinstance(device.native_cpu_bf16(), bool)


def test_an_unknown_precision_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="fp16") as e:
        TrainConfig(data="x.csv", precision="fp16")
    assert "\n" not in str(e.value) and "auto" in str(e.value)


def test_a_bf16_run_trains_in_bf16_and_reports_what_the_saved_model_predicts(tiny_model, sentiment_csv):
    events = []
    result = training.execute(quick(tiny_model, sentiment_csv, precision="bf16"), on_event=events.append)
    assert result.status == "completed"
    start = next(e for e in events if e["type"] == "start")
    assert start["amp"] == "torch.bfloat16"
    assert result.run.config().precision == "bf16"
    # the kept evaluation was scored in fp32: the saved model predicts exactly what predictions.parquet says
    preds = pd.read_parquet(result.run.path / "predictions.parquet")
    again = Predictor.load(result.run.path).predict(preds["text"].tolist())
    assert [r["label"] for r in again] == preds["predicted"].tolist()
    confidence = [max(r["scores"].values()) for r in again]
    assert confidence == pytest.approx(preds["confidence"].tolist(), abs=1e-5)  # bf16 scoring is ~1e-2 off
    assert result.metrics["accuracy"] >= 0.8  # learnable data: bf16 steps still learn it


def test_fp32_runs_in_full_precision(tiny_model, sentiment_csv):
    events = []
    training.execute(quick(tiny_model, sentiment_csv, epochs=1, precision="fp32"), on_event=events.append)
    assert next(e for e in events if e["type"] == "start")["amp"] == "None"


@pytest.mark.parametrize("amp, said", [("torch.bfloat16", True), ("None", False)])
def test_the_cli_says_when_the_steps_run_in_bf16(capsys, amp, said):
    from tuneboard.cli.progress import ProgressPrinter
    from tuneboard.protocol import Start

    ProgressPrinter(quiet=False)(Start(device="cpu", amp=amp, task="single_label", labels=["a", "b"], n_train=8,
                                       n_val=2, total_steps=1, batch_size=8, epochs=1, model="m").to_dict())
    assert ("(bfloat16 steps)" in capsys.readouterr().out) is said
