import csv
import json

import pandas as pd
import pytest
import torch

from tests.conftest import WORDS
from tuneboard.cli import main as cli
from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError, DataError, ModelLoadError, RunError
from tuneboard.evaluate.evaluation import evaluate_file
from tuneboard.predict.inference import Predictor
from tuneboard.runs.folder import open_run
from tuneboard.train import pipeline as training
from tuneboard.train.distillation import DistillSettings, compare, distill, plan
from tuneboard.train.student import build_student, distillation_loss


def teacher_config(tiny_model, data, **kw):
    base = dict(data=str(data), model=tiny_model, epochs=4, batch_size=16, learning_rate=3e-3,
                freeze_embeddings=False, max_length=32)
    return TrainConfig(**{**base, **kw})


@pytest.fixture
def teacher(tiny_model, sentiment_csv):
    return training.execute(teacher_config(tiny_model, sentiment_csv)).run


def test_a_one_layer_student_of_the_two_layer_teacher_copies_its_weights(teacher):
    student = build_student(teacher.model_dir, 1)
    from transformers import AutoModelForSequenceClassification

    full = AutoModelForSequenceClassification.from_pretrained(teacher.model_dir)
    assert full.config.num_hidden_layers == 2
    assert student.config.num_hidden_layers == 1 and len(student.bert.encoder.layer) == 1
    mine, theirs = student.state_dict(), full.state_dict()
    assert not any(k.startswith("bert.encoder.layer.1.") for k in mine)
    for key, value in mine.items():  # embeddings, layer 0, pooler and head: all the teacher's
        assert torch.equal(value, theirs[key]), key
    assert student.config.id2label == full.config.id2label


def test_distillation_makes_a_normal_run_linked_to_its_teacher(teacher, sentiment_csv):
    events = []
    result = distill(teacher.path, DistillSettings(layers=1, epochs=3), on_event=events.append)
    assert result.status == "completed"
    run = result.run
    assert run.path.parent == teacher.path.parent
    cfg = run.config()
    assert cfg.trainer == "distill" and cfg.distill.teacher_run == teacher.run_id
    assert cfg.distill.layers == 1 and cfg.distill.temperature == 2.0
    m = json.loads((run.path / "metrics.json").read_text())
    assert m["distilled_from"] == teacher.run_id
    assert m["n_val"] == teacher.metrics()["n_val"]  # the teacher's split, row for row
    assert pd.read_parquet(run.path / "predictions.parquet")["text"].tolist() == \
        pd.read_parquet(teacher.path / "predictions.parquet")["text"].tolist()
    assert m["accuracy"] >= 0.8  # learnable data and a good teacher: the student learns too
    predictor = Predictor.load(run.path)
    assert predictor.model.config.num_hidden_layers == 1
    assert predictor.predict(["great love happy wonderful"])[0]["label"] == "positive"
    assert evaluate_file(run.path, sentiment_csv)["accuracy"] >= 0.8
    assert any(e["type"] == "eval" for e in events)
    start = next(e for e in events if e["type"] == "start")
    assert start["model"] == f"first 1 layers of {teacher.run_id}" and "-student-1-layers-" in run.run_id

    table = compare(run.path, single=3, rounds=1)
    by = {r["model"]: r for r in table["rows"]}
    assert by["teacher"]["layers"] == 2 and by["student"]["layers"] == 1
    assert by["student"]["parameters"] < by["teacher"]["parameters"]
    assert by["student"]["macro_f1"] == pytest.approx(m["macro_f1"], abs=1e-6)  # same rows, same model
    assert "keeps" in table["summary"]


def test_unlabeled_rows_are_scored_by_the_teacher_and_trained_on(teacher, tmp_path):
    path = tmp_path / "unlabeled.csv"
    val_text = pd.read_parquet(teacher.path / "predictions.parquet")["text"].iloc[0]
    pd.DataFrame({"review": [" ".join(WORDS[i % 16:i % 16 + 4]) for i in range(30)] + [val_text, ""]}
                 ).to_csv(path, index=False)
    events = []
    result = distill(teacher.path, DistillSettings(layers=1, epochs=1, unlabeled=str(path)), on_event=events.append)
    assert result.status == "completed"
    start = next(e for e in events if e["type"] == "start")
    assert start["n_train"] == teacher.metrics()["n_train"] + 30  # empty and validation texts left out
    assert result.metrics["n_train"] == teacher.metrics()["n_train"]  # metrics count the labeled rows
    assert any("30 unlabeled rows" in e.get("message", "") for e in events)


def test_alpha_one_ignores_the_labels_and_alpha_zero_the_teacher():
    torch.manual_seed(0)
    logits, teacher = torch.randn(6, 3), torch.randn(6, 3)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    has = torch.tensor([1, 1, 1, 1, 0, 0], dtype=torch.float32)

    def packed(y, t=teacher):
        return torch.cat([has[:, None], y[:, None].float(), t], dim=1)

    soft = distillation_loss(logits, packed(labels), "single_label", 2.0, 1.0)
    assert soft == pytest.approx(float(distillation_loss(logits, packed(labels.flip(0)), "single_label", 2.0, 1.0)))
    assert soft > 0
    assert float(distillation_loss(teacher, packed(labels), "single_label", 2.0, 1.0)) == pytest.approx(0, abs=1e-6)
    hard = distillation_loss(logits, packed(labels), "single_label", 2.0, 0.0)
    expected = torch.nn.functional.cross_entropy(logits[:4], labels[:4])  # unlabeled rows have no hard term
    assert float(hard) == pytest.approx(float(expected), rel=1e-5)
    assert float(distillation_loss(logits, packed(labels, torch.randn(6, 3)), "single_label", 2.0, 0.0)) == \
        pytest.approx(float(expected), rel=1e-5)
    mixed = distillation_loss(logits, packed(labels), "single_label", 2.0, 0.3)
    assert float(mixed) == pytest.approx(0.3 * float(soft) + 0.7 * float(hard), rel=1e-5)


def test_multi_label_loss_is_zero_soft_when_the_student_is_the_teacher():
    torch.manual_seed(1)
    teacher, y = torch.randn(4, 3), torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]).float()
    packed = torch.cat([torch.ones(4, 1), y, teacher], dim=1)
    assert float(distillation_loss(teacher, packed, "multi_label", 3.0, 1.0)) == pytest.approx(0, abs=1e-6)
    assert float(distillation_loss(torch.randn(4, 3), packed, "multi_label", 3.0, 1.0)) > 0
    hard = distillation_loss(teacher, packed, "multi_label", 3.0, 0.0)
    assert float(hard) == pytest.approx(float(torch.nn.functional.binary_cross_entropy_with_logits(teacher, y)))


def test_a_multi_label_teacher_distils(tiny_model, tmp_path):
    path = tmp_path / "multi.csv"
    rows = [("great love", "good|happy"), ("awful hate", "bad"), ("love fast", "good"), ("happy", "happy")] * 15
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "tags"])
        w.writerows((f"{t} {i % 7}", tags) for i, (t, tags) in enumerate(rows))
    teacher = training.execute(teacher_config(tiny_model, path, label_column="tags", epochs=2)).run
    student = distill(teacher.path, DistillSettings(layers=1, epochs=1))
    assert student.metrics["task"] == "multi_label" and student.metrics["distilled_from"] == teacher.run_id
    assert Predictor.load(student.run.path).task == "multi_label"


@pytest.mark.parametrize("settings, message", [
    (dict(layers=2), "has 2 layers"), (dict(layers=5), "would not be smaller")])
def test_a_student_as_big_as_its_teacher_is_refused(teacher, settings, message):
    with pytest.raises(ConfigError, match=message):
        plan(teacher.path, DistillSettings(**settings))


@pytest.mark.parametrize("settings, message", [
    (dict(layers=0), "at least 1 layer"), (dict(alpha=1.5), "Alpha 1.5"), (dict(temperature=0), "Temperature"),
    (dict(alpha=0.0, unlabeled="x.csv"), "unlabeled rows would teach nothing"),
    (dict(layers=1, student="some/folder"), "not both")])
def test_bad_settings_are_refused_in_one_line(settings, message):
    with pytest.raises(ConfigError, match=message) as e:
        DistillSettings(**settings)
    assert "\n" not in str(e.value)


def test_regression_and_tfidf_runs_are_refused(tiny_model, tmp_path, sentiment_csv):
    path = tmp_path / "scores.csv"
    pd.DataFrame({"text": [f"great love {i}" for i in range(40)], "score": [i / 10 for i in range(40)]}
                 ).to_csv(path, index=False)
    reg = training.execute(teacher_config(tiny_model, path, label_column="score", epochs=1)).run
    with pytest.raises(ConfigError, match="supports classification runs"):
        plan(reg.path, DistillSettings(layers=1))
    tfidf = training.execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    with pytest.raises(ConfigError, match="already tiny"):
        plan(tfidf.path, DistillSettings())


def test_an_unfinished_run_or_changed_data_is_refused(teacher, sentiment_csv):
    teacher.set_status("failed", "boom")
    with pytest.raises(RunError, match="no finished model"):
        plan(teacher.path, DistillSettings(layers=1))
    teacher.set_status("completed")
    with open(sentiment_csv, "a", newline="") as f:
        csv.writer(f).writerows([("zzz", "neutral")] * 5)
    with pytest.raises(DataError, match="classes changed"):
        plan(teacher.path, DistillSettings(layers=1))


def test_cli_distill_exits_0_and_prints_the_student_folder(teacher, capsys):
    assert cli.main(["distill", str(teacher.path), "--layers", "1", "--epochs", "1", "--quiet"]) == 0
    folder = capsys.readouterr().out.strip().splitlines()[-1]
    assert open_run(folder).metrics()["distilled_from"] == teacher.run_id
    assert cli.main(["distill", str(teacher.path), "--layers", "2"]) == 2
    assert "would not be smaller" in capsys.readouterr().err


def test_any_local_model_folder_can_be_the_student(teacher, tmp_path):
    from tests.conftest import build_tiny_model

    folder = build_tiny_model(tmp_path / "other-student")
    result = distill(teacher.path, DistillSettings(student=str(folder), epochs=4))
    cfg = result.run.config()
    assert cfg.model == str(folder) and cfg.distill.layers is None
    assert result.metrics["distilled_from"] == teacher.run_id
    assert result.metrics["accuracy"] >= 0.8  # a fresh head learnt the task from teacher and labels
    with pytest.raises(ModelLoadError, match="does not exist"):
        plan(teacher.path, DistillSettings(student=str(tmp_path / "missing")))
