"""Class names: codes detected, names checked, runs trained on names, and a trained run renamed in every file."""
from __future__ import annotations

import csv
import json
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests.conftest import sentiment_rows
from tuneboard.classnames import ClassName, check_classes, looks_like_codes, ordered
from tuneboard.cli.main import main
from tuneboard.config import TrainConfig
from tuneboard.data.classrecords import load_names, save_names
from tuneboard.errors import DataError, PermissionDenied
from tuneboard.evaluate.evaluation import evaluate_file
from tuneboard.lifecycle.classes import rename_classes, run_classes
from tuneboard.predict.inference import Predictor
from tuneboard.runs.folder import open_run
from tuneboard.serve import monitor
from tuneboard.serve.api import create_app
from tuneboard.serve.export import export_run
from tuneboard.serve.onnx import OnnxPredictor, ensure_onnx
from tuneboard.team.access import User, record_owner
from tuneboard.train.pipeline import execute

NAMES = (ClassName("0", "negative", "Unhappy customers"), ClassName("1", "positive"))


def coded_csv(path: Path, n: int = 120, code: dict[str, str] | None = None) -> Path:
    """The sentiment table with its labels written as codes (negative = 0, positive = 1 unless ``code`` says)."""
    code = code or {"negative": "0", "positive": "1"}
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("review", "label"), *[(text, code[label]) for text, label in sentiment_rows(n)]])
    return path


@pytest.mark.parametrize("labels", [["0", "1"], ["1", "2", "3", "4", "5"], ["A", "B", "C"], ["pos0", "pos1"],
                                    ["LABEL_0", "LABEL_1", "LABEL_2"], ["-1", "1"]])
def test_integers_short_letters_and_numbered_prefixes_look_like_codes(labels):
    assert looks_like_codes(labels)


@pytest.mark.parametrize("labels", [["negative", "positive"], ["refund", "late delivery"], ["0", "refund"],
                                    ["pos0", "neg1"], ["1"]])
def test_words_mixtures_and_a_single_label_do_not_look_like_codes(labels):
    assert not looks_like_codes(labels)


def test_names_are_trimmed_and_a_code_left_as_its_own_name_needs_no_record():
    checked = check_classes([ClassName(" 0 ", "  negative\t"), ClassName("1", "1")], ["0", "1"])
    assert checked == (ClassName("0", "negative"),)


@pytest.mark.parametrize("classes, words", [
    ([ClassName("0", " ")], "has no name"),
    ([ClassName("0", "Good"), ClassName("1", "good")], "Two classes are named"),
    ([ClassName("0", "1")], "is the code of class '1'"),
    ([ClassName("7", "seven")], "'7' is not a label of this data"),
    ([ClassName("0", "x" * 61)], "longer than 60"),
    ([ClassName("0", "yes|no")], "separates the labels of a row"),
])
def test_a_bad_name_is_refused_with_one_line_that_says_what_to_do(classes, words):
    with pytest.raises(DataError) as e:
        check_classes(classes, ["0", "1"])
    assert words in str(e.value) and "\n" not in str(e.value)


def test_named_classes_keep_the_order_of_their_codes_so_code_1_stays_the_second_class(tmp_path):
    flipped = (ClassName("0", "zebra"), ClassName("1", "apple"), ClassName("10", "mango"))
    assert ordered(["apple", "mango", "2", "zebra"], flipped) == ["zebra", "apple", "2", "mango"]
    run = execute(TrainConfig(data=str(coded_csv(tmp_path / "coded.csv")), model="tfidf", classes=flipped[:2])).run
    assert run.metrics()["labels"] == ["zebra", "apple"]


def test_a_persons_names_for_a_dataset_are_remembered_and_nobody_else_sees_them(tmp_path):
    data = coded_csv(tmp_path / "coded.csv")
    save_names("ann@example.com", data, "label", NAMES, ["0", "1"])
    assert load_names("ann@example.com", data, "label") == NAMES
    assert load_names("bob@example.com", data, "label") == ()
    assert load_names("ann@example.com", data, "other") == ()


def test_a_run_on_named_codes_trains_on_the_names_and_a_validation_file_may_keep_the_codes(tmp_path):
    train, val = coded_csv(tmp_path / "train.csv"), coded_csv(tmp_path / "val.csv", n=40)
    run = execute(TrainConfig(data=str(train), validation=str(val), model="tfidf", classes=NAMES)).run
    metrics = run.metrics()
    assert metrics["labels"] == ["negative", "positive"]
    assert set(metrics["per_class"]) == {"negative", "positive"}
    assert json.loads((run.model_dir / "baseline.json").read_text())["labels"] == ["negative", "positive"]
    assert Predictor.load(run.path).predict(["wonderful great superb"])[0]["label"] in {"negative", "positive"}
    assert run.config().classes == NAMES  # the record travels with the run, descriptions included
    mixed = coded_csv(tmp_path / "mixed.csv", n=40, code={"negative": "negative", "positive": "1"})
    assert evaluate_file(run.path, mixed)["n"] == 40


def test_renaming_a_trained_run_rewrites_every_file_that_names_its_classes(tmp_path, tiny_model):
    data = coded_csv(tmp_path / "coded.csv")
    run = execute(TrainConfig(data=str(data), model=tiny_model, epochs=1, batch_size=16)).run
    assert [c.code for c in run_classes(run)] == ["0", "1"]
    onnx = ensure_onnx(run.path, "onnx")  # an ONNX export made before the rename is renamed with the rest

    result = rename_classes(run.path, [ClassName("0", "negative", "Unhappy"), ClassName("1", "positive")])

    assert [c.name for c in result.classes] == ["negative", "positive"] and not result.deployed
    run = open_run(run.path)
    model = json.loads((run.model_dir / "config.json").read_text())
    assert model["id2label"] == {"0": "negative", "1": "positive"}
    assert model["label2id"] == {"negative": 0, "positive": 1}
    assert json.loads((run.path / "baseline" / "baseline.json").read_text())["labels"] == ["negative", "positive"]
    metrics = run.metrics()
    assert metrics["labels"] == ["negative", "positive"] == metrics["confusion_matrix"]["labels"]
    assert set(metrics["per_class"]) == {"negative", "positive"}
    assert set(metrics["baseline"]["per_class"]) == {"negative", "positive"}
    frame = pd.read_parquet(run.path / "predictions.parquet")
    assert set(frame["label"]) == {"negative", "positive"} and set(frame["predicted"]) <= {"negative", "positive"}
    assert {"score_negative", "score_positive"} <= set(frame.columns)
    assert run.config().classes == (ClassName("0", "negative", "Unhappy"), ClassName("1", "positive"))
    assert not list(run.path.glob(".*.tmp"))

    assert OnnxPredictor.load(onnx).labels == ["negative", "positive"]
    answer = Predictor.load(run.path).predict(["a text"])[0]
    assert answer["label"] in {"negative", "positive"} and set(answer["scores"]) == {"negative", "positive"}
    with TestClient(create_app(run.path, monitor=False)) as api:
        reply = api.post("/predict", json={"inputs": ["a text"]}).json()
        info = api.get("/info").json()
    assert {entry["label"] for entry in reply[0]} == {"negative", "positive"}
    assert info["labels"] == ["negative", "positive"] and info["descriptions"] == {"negative": "Unhappy"}
    assert evaluate_file(run.path, data)["n"] == 120  # the data still holds codes: they read as the new names

    with zipfile.ZipFile(export_run(run.path, tmp_path / "model.zip")) as zf:  # an export made after the rename
        assert json.loads(zf.read("config.json"))["id2label"] == {"0": "negative", "1": "positive"}
        assert json.loads(zf.read("tuneboard_config.json"))["classes"][0]["description"] == "Unhappy"
        assert "negative, positive" in zf.read("README.md").decode()

    again = rename_classes(run.path, [ClassName("0", "unhappy"), ClassName("1", "happy")])  # by code, again
    assert [c.name for c in again.classes] == ["unhappy", "happy"]
    assert Predictor.load(run.path).labels == ["unhappy", "happy"]


def test_only_the_owner_or_an_admin_may_rename_a_runs_classes(tmp_path):
    run = execute(TrainConfig(data=str(coded_csv(tmp_path / "coded.csv")), model="tfidf")).run
    record_owner(run.path, "ann@example.com")
    before = (run.model_dir / "baseline.json").read_bytes()
    with pytest.raises(PermissionDenied):
        rename_classes(run.path, NAMES, user=User("bob@example.com"))
    assert (run.model_dir / "baseline.json").read_bytes() == before
    rename_classes(run.path, NAMES, user=User("ann@example.com"))
    rename_classes(run.path, [ClassName("0", "bad"), ClassName("1", "good")], user=User("root", is_admin=True))
    assert Predictor.load(run.path).labels == ["bad", "good"]


def test_a_rename_renames_what_the_api_served_so_monitor_counts_it_under_the_new_names(tmp_path):
    run = execute(TrainConfig(data=str(coded_csv(tmp_path / "coded.csv")), model="tfidf", classes=NAMES)).run
    log = monitor.PredictionLog(monitor.log_path(run.path), flush_s=60)
    log.record({"ts": time.time() + i, "latency_ms": 1.0, "label": label, "confidence": 0.9}
               for i, label in enumerate(["negative", "positive", "positive"]))
    log.close()
    rename_classes(run.path, [ClassName("0", "positive"), ClassName("1", "negative")])  # a swap: each row once
    assert monitor.read_log(run.path)["label"].tolist() == ["positive", "negative", "negative"]


def test_a_rename_that_would_give_two_classes_one_name_changes_nothing(tmp_path):
    run = execute(TrainConfig(data=str(coded_csv(tmp_path / "coded.csv")), model="tfidf")).run
    before = {p.name: p.read_bytes() for p in run.path.glob("*.json")}
    with pytest.raises(DataError):
        rename_classes(run.path, [ClassName("0", "same"), ClassName("1", "Same")])
    assert {p.name: p.read_bytes() for p in run.path.glob("*.json")} == before


def test_the_command_line_trains_on_names_and_renames_a_runs_classes_by_code(tmp_path, capsys):
    data = coded_csv(tmp_path / "coded.csv")
    assert main(["train", str(data), "--model", "tfidf", "--class", "0=negative", "--class", "1=positive",
                 "--output", str(tmp_path / "runs"), "--quiet"]) == 0
    run = capsys.readouterr().out.strip().splitlines()[-1]
    assert open_run(run).metrics()["labels"] == ["negative", "positive"]

    assert main(["classes", run, "1=happy", "--description", "0=Unhappy customers"]) == 0
    assert capsys.readouterr().out.splitlines() == ["0\tnegative\tUnhappy customers", "1\thappy"]
    assert Predictor.load(run).labels == ["negative", "happy"]
    assert main(["classes", run, "7=seven"]) == 2 and "'7' is not a label" in capsys.readouterr().err
    assert main(["classes", run, "happy"]) == 2 and "is not CODE=NAME" in capsys.readouterr().err


def test_the_report_reads_the_class_names_and_what_they_mean(tmp_path):
    from tuneboard.evaluate.report import build_report

    run = execute(TrainConfig(data=str(coded_csv(tmp_path / "train.csv")), model="tfidf", classes=NAMES)).run
    page = build_report(run)
    assert "Unhappy customers" in page and "negative" in page and "positive" in page
