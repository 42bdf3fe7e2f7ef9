"""Predict page: a whole file predicted and downloadable, the model exportable; Data page: [UNK] coverage warning."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import nav
from tests.app.pages import open_page
from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.runs.folder import create_run
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]
ROWS = sentiment_rows(40, seed=3)
CSV = ("id,review\n" + "\n".join(f"{i},{t}" for i, (t, _) in enumerate(ROWS))).encode()




def downloads(at: AppTest) -> dict[str, object]:
    return {b.proto.label: b.proto for b in at.get("download_button")}


@pytest.fixture
def tiny_run(tiny_model: str, sentiment_csv: Path):
    return execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=16,
                               learning_rate=3e-3, freeze_embeddings=False)).run


def test_an_uploaded_file_is_predicted_with_counts_speed_and_a_download(tiny_run):
    at = open_page(nav.PREDICT, tiny_run.run_id)
    assert "Download predictions (CSV)" not in downloads(at)
    at.file_uploader(key="predict_batch_upload").set_value(("new.csv", CSV, "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="predict_batch_text_column").value == "review"
    shown = {m.label: m.value for m in at.metric}
    assert shown["Rows"] == "40" and shown["Speed"].endswith("rows/s")
    preview, counts = at.dataframe[0].value, at.dataframe[1].value
    assert list(preview.columns) == ["id", "review", "predicted_label", "score_negative", "score_positive"]
    assert len(preview) == 40 and counts["rows"].sum() == 40
    assert set(counts.index) <= {"negative", "positive"}
    assert "Download predictions (CSV)" in downloads(at)


def test_the_text_column_can_be_changed_and_a_bad_file_is_one_error(tiny_run):
    at = open_page(nav.PREDICT, tiny_run.run_id)
    at.file_uploader(key="predict_batch_upload").set_value(("new.csv", CSV, "text/csv")).run()
    at.selectbox(key="predict_batch_text_column").set_value("id").run()
    assert not at.exception and at.dataframe[0].value["review"].tolist() == [t for t, _ in ROWS]
    at.file_uploader(key="predict_batch_upload").set_value(("bad.csv", b"\x00\x01\x02garbage\x00", "text/csv")).run()
    assert not at.exception and len(at.error) == 1 and "\n" not in at.error[0].value


def test_the_export_button_is_offered_for_a_completed_run_only(sentiment_csv):
    done = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    button = downloads(open_page(nav.PREDICT, done.run_id))["Export model (.zip)"]
    assert not button.disabled

    failed = create_run(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    failed.model_dir.mkdir()
    for p in done.model_dir.iterdir():  # a model on disk, but the run failed afterwards
        (failed.model_dir / p.name).write_bytes(p.read_bytes())
    failed.set_status("failed", reason="boom")
    assert downloads(open_page(nav.PREDICT, failed.run_id))["Export model (.zip)"].disabled


def test_data_page_warns_that_the_model_does_not_understand_chinese():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(nav.PAGES[nav.DATA].file).run()
    at.selectbox(key="data_example_pick").set_value("zh_reviews.csv").run()
    at.button(key="data_use_example").click().run()
    assert not at.exception, at.exception
    warnings = re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))  # user strings are escaped
    assert "[UNK]" in warnings and "multilingual" in warnings
