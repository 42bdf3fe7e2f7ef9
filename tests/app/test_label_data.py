"""Data with raw texts: a table with only a text column, or with empty label cells, is a source to label, not an
error (the browser test tests/e2e/test_label.py walks it as a person; this one checks the page's answer fast)."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import nav
from tests.conftest import sentiment_rows

ROOT = Path(__file__).resolve().parents[2]


def data_page_with(csv: bytes) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(nav.PAGES[nav.DATA].file).run()
    at.file_uploader(key="data_upload").set_value(("texts.csv", csv, "text/csv")).run()
    assert not at.exception, at.exception
    return at


def test_a_table_with_only_a_text_column_leads_to_its_label_set_and_the_label_page(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_UPLOADS_DIR", str(tmp_path / "up"))
    at = data_page_with(("review\n" + "\n".join(text for text, _ in sentiment_rows(40))).encode())
    assert at.selectbox(key="label_column").value == "(none)"
    assert not at.error, [e.value for e in at.error]
    assert "The label set" in [s.value for s in at.subheader]
    assert "40 texts are waiting for a label." in [i.value for i in at.info]


def test_empty_label_cells_are_texts_to_label_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_UPLOADS_DIR", str(tmp_path / "up"))
    rows = sentiment_rows(60)
    at = data_page_with(("review,sentiment\n" + "\n".join(f"{text},{label if i % 3 else ''}"
                                                          for i, (text, label) in enumerate(rows))).encode())
    assert at.selectbox(key="label_column").value == "sentiment"
    assert "20 texts are waiting for a label." in [i.value for i in at.info]
    at.switch_page("app_pages/label.py").run()
    assert not at.exception and not at.info, [i.value for i in at.info]  # labeled with the table's own classes
