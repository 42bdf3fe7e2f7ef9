"""In the app: slices, suspected mislabels feeding the corrections, the report download (Evaluate),
and the highlighted words of a prediction (Predict)."""
from __future__ import annotations

from pathlib import Path

from tests.app.pages import open_page
from tuneboard.config import TrainConfig
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "support_tickets.csv"




def test_evaluate_shows_slices_mislabels_and_offers_the_report(tmp_path):
    run = execute(TrainConfig(data=str(DEMO), model="tfidf")).run
    at = open_page("evaluate", run.run_id)
    subheaders = [s.value for s in at.subheader]
    assert "Slices: where the model is weaker" in subheaders and "Suspected mislabels" in subheaders
    at.button(key="insights_find_mislabels").click().run()
    assert not at.exception, at.exception
    warning = next(w.value for w in at.warning if "probably mislabeled" in w.value)
    count = int(warning.split("**")[1].split()[0])
    editor = at.get("data_editor")  # the mislabel editor lists exactly the flagged rows
    assert count > 0 and any(len(e.value) == count for e in editor)
    at.button(key="insights_build_report").click().run()
    assert not at.exception and not (run.path / "report.html").exists()  # a download, written nowhere
    assert at.session_state["_report"]["html"].startswith(b"<!DOCTYPE html>")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download report (HTML)" in labels


def test_predict_highlights_the_words_behind_a_label(tiny_model, sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=16,
                              learning_rate=3e-3, freeze_embeddings=False)).run
    at = open_page("predict", run.run_id)
    at.text_area(key="predict_text").set_value("great love <b>refund</b>").run()
    at.toggle(key="predict_explain").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    html = [h.proto.body for h in at.get("html")]
    assert len(html) == 1 and "tb-word" in html[0] and "&lt;" in html[0] and "<b>" not in html[0]
    words = at.dataframe[-1].value
    assert list(words.columns) == ["Word", "Pushes", "Weight"] and len(words) > 0
