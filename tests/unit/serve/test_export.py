"""Export: a finished run becomes a zip that transformers (or skops) loads as it is; unfinished runs are refused."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tuneboard.cli.main import main
from tuneboard.config import TrainConfig
from tuneboard.errors import RunError
from tuneboard.predict.inference import Predictor
from tuneboard.runs.folder import create_run
from tuneboard.serve.export import export_run
from tuneboard.train.pipeline import execute

TEXTS = ["great love happy", "awful terrible broken refund", "the parcel was late and slow"]


@pytest.fixture
def tiny_run(tiny_model: str, sentiment_csv: Path):
    return execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=16,
                               learning_rate=3e-3, freeze_embeddings=False)).run


def test_export_loads_with_transformers_and_predicts_like_the_predictor(tiny_run, tmp_path):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    dest = export_run(tiny_run.path, tmp_path / "out" / "model.zip")
    assert dest == tmp_path / "out" / "model.zip" and dest.is_file()
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(dest) as zf:
        names = set(zf.namelist())
        zf.extractall(folder)
    assert {"config.json", "tuneboard_config.json", "metrics.json", "README.md", "model.safetensors"} <= names
    assert json.loads((folder / "tuneboard_config.json").read_text())["data"].endswith("sentiment.csv")

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.inference_mode():
        probs = model(**tok(TEXTS, return_tensors="pt", padding=True, truncation=True)).logits.softmax(-1).numpy()
    expected = Predictor.load(tiny_run.path, device="cpu").scores(TEXTS)
    np.testing.assert_allclose(probs, expected, atol=1e-4)
    assert [model.config.id2label[i] for i in probs.argmax(1)] == \
           [r["label"] for r in Predictor.load(folder, device="cpu").predict(TEXTS)]

    card = (folder / "README.md").read_text()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert "sentiment.csv" in card and "negative, positive" in card and "from_pretrained" in card
    assert f"{metrics['accuracy']:.4f}" in card


def test_export_of_a_tfidf_run_holds_the_baseline_and_loads(sentiment_csv, tmp_path):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    dest = export_run(run.path)
    assert dest == run.path.parent.parent / "exports" / f"{run.run_id}.zip"
    with zipfile.ZipFile(dest) as zf:
        assert {"baseline.skops", "baseline.json", "tuneboard_config.json", "README.md"} <= set(zf.namelist())
        assert not any(n.endswith(".joblib") for n in zf.namelist())
        zf.extractall(tmp_path / "tfidf")
    card = (tmp_path / "tfidf" / "README.md").read_text()
    assert "sio.load" in card and "joblib" not in card
    assert Predictor.load(tmp_path / "tfidf").predict(TEXTS[:2]) == Predictor.load(run.path).predict(TEXTS[:2])


@pytest.mark.parametrize("status", ["running", "failed", "queued"])
def test_unfinished_or_failed_runs_are_refused(sentiment_csv, status):
    run = create_run(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    run.set_status(status)
    with pytest.raises(RunError, match="completed or stopped"):
        export_run(run.path)


def test_a_completed_run_without_a_model_is_refused(sentiment_csv):
    run = create_run(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    run.set_status("completed")
    with pytest.raises(RunError, match="no saved model"):
        export_run(run.path)


def test_cli_export_exits_0_with_the_zip_and_2_with_one_line(sentiment_csv, tmp_path, capsys):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    out = tmp_path / "cli.zip"
    assert main(["export", str(run.path), "--output", str(out)]) == 0
    assert zipfile.is_zipfile(out) and str(out) in capsys.readouterr().out

    failed = create_run(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    failed.set_status("failed", reason="boom")
    assert main(["export", str(failed.path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "failed" in err and len(err.splitlines()) == 1
    assert main(["export", str(tmp_path / "nowhere")]) == 2


SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- not for export"


def plant_links(folder: Path, outside: Path) -> None:
    """What a run folder from someone else may hold: links to files and folders outside it."""
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "id_rsa").write_text(SECRET)
    (folder / "notes.txt").symlink_to(outside / "id_rsa")
    (folder / "vocab.txt").symlink_to(outside / "id_rsa")  # a tokenizer file the ONNX export copies
    (folder / "more").symlink_to(outside, target_is_directory=True)


def zipped_texts(dest: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(dest) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_export_takes_only_regular_files_of_the_run_and_follows_no_symlink(sentiment_csv, tmp_path):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    plant_links(run.model_dir, tmp_path / "home" / ".ssh")
    (run.path / "metrics.json").unlink()
    (run.path / "metrics.json").symlink_to(tmp_path / "home" / ".ssh" / "id_rsa")
    members = zipped_texts(export_run(run.path))
    assert {"baseline.skops", "baseline.json", "tuneboard_config.json", "README.md"} <= set(members)
    assert not {"notes.txt", "vocab.txt", "metrics.json"} & set(members)
    assert not any(n.startswith("more/") for n in members)
    assert not any(SECRET.encode() in data for data in members.values())


def test_onnx_export_copies_and_zips_no_symlinked_file(tiny_run, tmp_path):
    from tuneboard.serve.onnx import export_onnx_zip, onnx_folder

    plant_links(tiny_run.model_dir, tmp_path / "home" / ".ssh")
    first = zipped_texts(export_onnx_zip(tiny_run.path, "onnx", tmp_path / "first.zip"))
    (onnx_folder(tiny_run, "onnx") / "notes.txt").symlink_to(tmp_path / "home" / ".ssh" / "id_rsa")
    again = zipped_texts(export_onnx_zip(tiny_run.path, "onnx", tmp_path / "again.zip"))  # the export is reused
    for members in (first, again):
        assert "model.onnx" in members and "tokenizer.json" in members
        assert not {"notes.txt", "vocab.txt"} & set(members)
        assert not any(SECRET.encode() in data for data in members.values())
