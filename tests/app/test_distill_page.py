"""The Make it smaller page: start a distillation of a finished run, then compare teacher and student."""
from __future__ import annotations

from pathlib import Path

from components import nav
from components.state import registry
from tests.app.pages import open_page
from tuneboard.config import TrainConfig
from tuneboard.runs.folder import open_run
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]




def test_a_finished_run_is_made_smaller_and_compared_with_its_student(tiny_model, sentiment_csv):
    teacher = execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=2, batch_size=16,
                                  learning_rate=3e-3, freeze_embeddings=False, max_length=32)).run
    at = open_page(nav.DISTILL, teacher.run_id)
    at.number_input(key="distill_layers").set_value(1)
    at.number_input(key="distill_epochs").set_value(1)
    next(b for b in at.button if b.label == "Make it smaller").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    student_id = at.session_state["distill_student"]
    assert registry().wait(student_id, timeout=120) == "completed"
    student = open_run(teacher.path.parent / student_id)
    assert student.config().distill.teacher_run == teacher.run_id
    assert student.metrics()["distilled_from"] == teacher.run_id

    at = open_page(nav.DISTILL, student_id)
    assert any(teacher.run_id in t.value for t in at.text)
    at.button(key="distill_measure_self").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["model"]) == ["teacher", "student"] and list(table["layers"]) == [2, 1]
    assert "keeps" in at.success[0].value


def test_a_tfidf_run_is_refused_in_plain_words(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    at = open_page(nav.DISTILL, run.run_id)
    assert any("already tiny" in t.value for t in at.text)
    assert not any(b.label == "Make it smaller" for b in at.button)
