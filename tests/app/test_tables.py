"""Streamlit's table toolbar downloads any shown table as CSV, cells as they are: every table goes through
components/tables.py, whose cells cannot start a spreadsheet formula, and an edited table still hands back
the texts as they were."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from components.tables import inert
from tests.app.pages import open_page
from tuneboard.config import TrainConfig
from tuneboard.serve import monitor
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "fine"]


def csv_cells(frame: pd.DataFrame) -> list[str]:
    """Every cell of ``frame`` as Streamlit's toolbar download writes it (header included)."""
    return [c for row in csv.reader(io.StringIO(frame.to_csv(index=False), newline="")) for c in row]


def test_no_page_draws_a_table_without_the_inert_cells():
    drawn = re.compile(r"\.(dataframe|data_editor)\(")
    offenders = [f"{path.relative_to(ROOT)}:{n}" for folder in ("app_pages", "components")
                 for path in sorted((ROOT / folder).rglob("*.py")) if path.name != "tables.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if drawn.search(line)]
    assert (ROOT / "app.py").read_text(encoding="utf-8").count(".dataframe(") == 0
    assert not offenders, f"draw tables with components.tables.show_table / edit_table: {offenders}"


def test_inert_cells_start_no_formula_and_numbers_stay_numbers():
    frame = pd.DataFrame({"text": HOSTILE, "=col": range(len(HOSTILE)), "score": [-0.5] * len(HOSTILE)})
    cells = csv_cells(inert(frame))
    assert not [c for c in cells if c.startswith(FORMULA_START) and c != "-0.5"]
    assert inert(frame)["score"].tolist() == [-0.5] * len(HOSTILE)
    counts = inert(pd.Series([3, 1], index=["=bad", "good"], name="rows"))
    assert list(counts.index) == ["'=bad", "good"] and counts.tolist() == [3, 1]
    assert csv_cells(inert([{"model": "=x", "layers": 2}])) == ["model", "layers", "'=x", "2"]


def test_the_monitor_table_shows_an_api_clients_formula_as_text_and_adds_it_as_sent(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    log = monitor.PredictionLog(monitor.log_path(run.path), store_texts=True, flush_s=60)
    log.record({"latency_ms": 1.0, "label": "negative", "confidence": 0.5 + i / 100, "text": text}
               for i, text in enumerate(HOSTILE))
    log.close()
    at = open_page("monitor", run.run_id)
    shown = at.dataframe[0].value
    assert not [c for c in csv_cells(shown) if c.startswith(FORMULA_START)]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in shown["text"].tolist()
    at.session_state["monitor_labels"] = {"edited_rows": {0: {"label": "positive"}}, "added_rows": [],
                                          "deleted_rows": []}
    at.button(key="monitor_append").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    added = pd.read_csv(monitor.feedback_path(run.path), keep_default_na=False)
    assert added["text"].tolist() == [HOSTILE[0]]  # the feedback file keeps what the client sent


def test_an_empty_cell_shows_a_dash_not_the_word_none():
    from streamlit.testing.v1 import AppTest

    def script():
        import pandas as pd

        from components.tables import edit_table, show_table
        show_table(pd.DataFrame({"a": ["x", None]}))
        edit_table(pd.DataFrame({"new label": [None, "y"]}), key="edit")

    at = AppTest.from_function(script).run()
    assert not at.exception
    shown = [element.proto for element in at.main.children.values()]
    assert len(shown) == 2 and all(proto.placeholder == "—" for proto in shown), [p.placeholder for p in shown]
