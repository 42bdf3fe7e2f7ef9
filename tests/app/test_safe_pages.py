"""Pages and hostile input: user strings shown as text, ?run= ids only,
a damaged run still listed with its Delete button, Delete says what it removed."""
from __future__ import annotations

import json
from pathlib import Path

from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.runs.folder import list_runs
from tuneboard.serve.export import export_run
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]
EVIL = "![b](http://host/x.png) :red[**Admin…**]"


def app(page: str, run_id: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if run_id:
        at.query_params["run"] = run_id
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def markdown_sources(at: AppTest) -> list[str]:
    """Every string the page hands to Streamlit's markdown renderer."""
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [str(e.label) for e in at.metric] + [str(e.label) for e in at.expander]
    return out


def test_a_hostile_label_is_shown_as_literal_text_never_as_markdown(tmp_path):
    rows = [(t, "!!" if label == "negative" else EVIL) for t, label in sentiment_rows()]
    data = tmp_path / "evil.csv"
    data.write_text("review,sentiment\n" + "\n".join(f'{t},"{label}"' for t, label in rows), encoding="utf-8")
    run = execute(TrainConfig(data=str(data), model="tfidf")).run
    assert run.metrics()["labels"] == ["!!", EVIL]
    at = app("evaluate", run.run_id)
    sources = markdown_sources(at)
    rendered = [MarkdownIt("commonmark").render(s) for s in sources]
    assert any(EVIL in html.replace("&quot;", '"') for html in rendered)  # shown, as the literal characters
    assert not any("<img" in html or "<strong>Admin" in html for html in rendered)
    assert not any(":red[" in s for s in sources)  # the colour directive is escaped in every source


def test_a_run_param_that_is_a_path_opens_nothing(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text(json.dumps(TrainConfig(data="secret.csv").to_dict()))
    (foreign / "history.jsonl").write_text(json.dumps({"type": "notice", "message": "SECRET NOTE"}) + "\n")
    (foreign / "status.json").write_text(json.dumps({"status": "completed"}))
    for value in (str(foreign), "../foreign", f"../../{foreign.name}"):
        at = app("train", value)
        shown = " ".join(markdown_sources(at))
        assert "SECRET NOTE" not in shown and "foreign" not in shown


def test_a_half_written_config_is_listed_as_damaged_and_can_be_deleted(sentiment_csv):
    good = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    bad = execute(TrainConfig(data=str(sentiment_csv), model="tfidf", run_name="torn")).run
    text = (bad.path / "config.json").read_text()
    (bad.path / "config.json").write_text(text[: len(text) // 2])
    at = app("runs", bad.run_id)
    assert any("damaged" in w.value for w in at.warning)
    at.button(key="runs_delete").click().run()
    at.button(key="runs_confirm_delete").click().run()
    assert not at.exception, at.exception
    assert [r.run_id for r in list_runs()] == [good.run_id]
    assert str(bad.path) in at.text[0].value


def test_delete_for_good_removes_the_export_and_says_so(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf")).run
    zipped = export_run(run.path)
    at = app("runs", run.run_id)
    at.button(key="runs_delete").click().run()
    at.button(key="runs_confirm_delete").click().run()
    assert not at.exception, at.exception
    assert not zipped.exists() and not run.path.exists()
    listed = at.text[0].value.splitlines()
    assert listed == [str(run.path), str(zipped)]
