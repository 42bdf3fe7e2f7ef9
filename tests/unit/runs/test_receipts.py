"""Receipts, reproduce and model cards: a run records what rebuilds it, `reproduce` rebuilds it to 1e-6 on a
CPU (or says which file changed), and every saved model folder carries a card huggingface_hub parses."""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import sentiment_rows
from tuneboard.cli.main import main
from tuneboard.config import TrainConfig
from tuneboard.errors import DataError
from tuneboard.lifecycle.reproduce import TOLERANCE, reproduce
from tuneboard.protocol import BASELINE_MODEL
from tuneboard.runs.card import card_path
from tuneboard.runs.receipt import read_receipt
from tuneboard.train.pipeline import execute

SECRET = "sk-this-must-never-be-written-0123456789"


def _tiny_config(data: Path, model: str, **kw) -> TrainConfig:
    return TrainConfig(data=str(data), model=model, epochs=1, batch_size=16, learning_rate=3e-3,
                       freeze_embeddings=False, **kw)


@pytest.fixture
def labeled_csv(tmp_path: Path) -> Path:
    """The labeling store's export: a ``label_source`` column beside text and label."""
    path = tmp_path / "labeled.csv"
    sources = ["person"] * 100 + ["accepted_suggestion"] * 50 + ["llm"] * 30 + ["imported"] * 20
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment", "label_source"])
        w.writerows((text, label, src) for (text, label), src in zip(sentiment_rows(), sources, strict=True))
    return path


def test_a_run_leaves_a_receipt_with_its_data_hashes_versions_and_machine_and_no_secret(
        tiny_model, sentiment_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    val = tmp_path / "val.csv"
    val.write_text("review,sentiment\n" + "\n".join(f"{t},{y}" for t, y in sentiment_rows(40, seed=3)) + "\n")
    run = execute(_tiny_config(sentiment_csv, tiny_model, validation=str(val), seed=7)).run
    text = (run.path / "receipt.json").read_text()
    receipt = json.loads(text)
    assert receipt["state"] == "completed"
    assert receipt["data"]["train"]["sha256"] == hashlib.sha256(sentiment_csv.read_bytes()).hexdigest()
    assert receipt["data"]["validation"]["sha256"] == hashlib.sha256(val.read_bytes()).hexdigest()
    assert receipt["seed"] == 7 and receipt["config"] == run.config().to_dict()
    assert all(receipt["packages"][p] for p in ("torch", "transformers", "tokenizers", "scikit-learn", "numpy",
                                                "tuneboard"))
    assert receipt["code"]["version"] and "commit" in receipt["code"]
    hw = receipt["hardware"]
    start = next(e for e in run.history() if e["type"] == "start")  # bf16 where the CPU does it natively
    assert hw["cpu"] and hw["cores"] >= 1 and hw["device"] == "cpu"
    assert hw["precision"] == ("bf16" if "bfloat16" in str(start["amp"]) else "fp32")
    assert receipt["determinism"]["threads"] >= 1 and "deterministic_algorithms" in receipt["determinism"]
    assert receipt["labels"] == {"source": "imported table", "column": None, "counts": {}}
    assert SECRET not in text and "API_KEY" not in text


def test_reproduce_trains_a_tiny_cpu_run_again_within_one_in_a_million(tiny_model, sentiment_csv, tmp_path):
    run = execute(_tiny_config(sentiment_csv, tiny_model)).run
    out = reproduce(run.path, tmp_path / "again")
    assert out.differences and "accuracy" in out.differences and "eval_loss" in out.differences
    assert out.max_abs_diff <= TOLERANCE and out.scores_max_abs_diff is not None
    assert out.scores_max_abs_diff <= TOLERANCE and out.matches
    again = next((tmp_path / "again").iterdir())
    assert json.loads((again / "reproduction.json").read_text())["matches"] is True


def test_reproduce_trains_a_tfidf_run_again_and_the_cli_prints_the_differences(sentiment_csv, tmp_path, capsys):
    run = execute(TrainConfig(data=str(sentiment_csv), model=BASELINE_MODEL)).run
    assert main(["reproduce", str(run.path), "--output", str(tmp_path / "again"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "largest absolute difference: metrics 0" in out and "matches" in out


def test_reproduce_says_in_one_line_which_data_file_changed_or_is_missing(sentiment_csv, tmp_path, capsys):
    run = execute(TrainConfig(data=str(sentiment_csv), model=BASELINE_MODEL)).run
    with open(sentiment_csv, "a", encoding="utf-8") as f:
        f.write("one more row,positive\n")
    with pytest.raises(DataError, match=r"train file .*sentiment\.csv changed"):
        reproduce(run.path)
    sentiment_csv.unlink()
    assert main(["reproduce", str(run.path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "sentiment.csv is missing" in err


def test_the_model_card_parses_with_huggingface_hub_and_names_the_label_provenance(tiny_model, labeled_csv):
    from huggingface_hub import ModelCard

    run = execute(_tiny_config(labeled_csv, tiny_model)).run
    card = ModelCard.load(card_path(run))
    data = card.data.to_dict()
    assert data["pipeline_tag"] == "text-classification" and data["language"] == "en"
    assert data["base_model"] == Path(tiny_model).name and data["license"] == "other"
    metrics = {m["type"]: m["value"] for r in data["model-index"][0]["results"] for m in r["metrics"]}
    assert {"accuracy", "macro_f1"} <= set(metrics)
    assert metrics["accuracy"] == pytest.approx(run.metrics()["accuracy"])
    for section in ("Intended use", "Label provenance", "Evaluation", "Calibration", "Limitations", "Energy"):
        assert f"## {section}" in card.text or f"### {section}" in card.text
    assert "| person | 100 | 50% |" in card.text and "| accepted suggestion | 50 | 25% |" in card.text
    assert "| LLM | 30 | 15% |" in card.text and "| imported | 20 | 10% |" in card.text
    assert read_receipt(run)["labels"]["counts"] == {"person": 100, "accepted_suggestion": 50, "llm": 30,
                                                     "imported": 20}


def test_a_tfidf_run_gets_a_card_that_says_its_labels_came_with_the_imported_table_and_the_report_links_it(
        sentiment_csv):
    from huggingface_hub import ModelCard

    from tuneboard.evaluate.report import write_report

    run = execute(TrainConfig(data=str(sentiment_csv), model=BASELINE_MODEL)).run
    card = ModelCard.load(card_path(run))
    assert "base_model" not in card.data.to_dict() and "| imported table | — | 100% |" in card.text
    assert "sio.load" in card.text and "Not measured" in card.text
    import zipfile

    from tuneboard.serve.export import export_run

    with zipfile.ZipFile(export_run(run.path)) as zf:  # the export ships the same card, once
        assert zf.namelist().count("README.md") == 1
        assert zf.read("README.md").decode() == card_path(run).read_text()
    report = write_report(run.path)
    assert (report.parent / "model" / "README.md").is_file() and 'href="model/README.md"' in report.read_text()


def test_energy_is_measured_offline_when_a_country_is_set_and_a_failing_tracker_never_costs_the_run(
        sentiment_csv, monkeypatch):
    from huggingface_hub import ModelCard

    monkeypatch.setenv("TUNEBOARD_ENERGY_COUNTRY", "FRA")
    run = execute(TrainConfig(data=str(sentiment_csv), model=BASELINE_MODEL)).run
    energy = read_receipt(run)["energy"]
    assert energy["measured"] and energy["kwh"] > 0 and energy["country"] == "FRA" and energy["overhead_s"] > 0
    assert "kWh" in ModelCard.load(card_path(run)).text

    import codecarbon

    def broken(*args, **kwargs):
        raise RuntimeError("no power counters here")

    monkeypatch.setattr(codecarbon, "OfflineEmissionsTracker", broken)
    run = execute(TrainConfig(data=str(sentiment_csv), model=BASELINE_MODEL)).run
    assert run.status()["status"] == "completed"
    assert read_receipt(run)["energy"] == {"measured": False, "reason": "RuntimeError",
                                           "overhead_s": read_receipt(run)["energy"]["overhead_s"]}
