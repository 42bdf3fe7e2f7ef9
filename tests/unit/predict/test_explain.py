"""Why this label: word attributions from a tiny random BERT and from the TF-IDF model, merged into words
(Chinese characters too), punctuation never a word."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError
from tuneboard.predict.explanations import METHODS, deletion_faithfulness, explain, highlight_html, without, word_units
from tuneboard.predict.inference import Predictor
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tiny_run(tiny_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("explain")
    data = folder / "sentiment.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("review", "sentiment"), *sentiment_rows()])
    result = execute(TrainConfig(data=str(data), model=tiny_model, epochs=1, batch_size=16, learning_rate=3e-3,
                                 freeze_embeddings=False, output_dir=str(folder / "runs")))
    return result.run.path


@pytest.mark.parametrize("method", METHODS)
def test_every_word_gets_one_weight_and_pieces_merge_back_into_words(tiny_run, method):
    p = Predictor.load(tiny_run, device="cpu")
    text = "refunding my subscription, please!"  # 'refunding' is not in the tiny vocabulary: several pieces
    assert len(p.tokenizer.tokenize("refunding")) > 1
    e = explain(p, [text], method=method)[0]
    assert [w.text for w in e.words] == ["refunding", "my", "subscription", "please"]  # "," and "!" are no words
    assert all(text[w.start:w.end] == w.text for w in e.words)
    assert all(np.isfinite(w.weight) for w in e.words) and any(w.weight != 0 for w in e.words)
    assert e.label in p.labels and e.score == pytest.approx(p.predict([text])[0]["scores"][e.label], abs=1e-4)
    assert e.method == method and not e.truncated


def test_chinese_characters_merge_into_words_and_punctuation_is_never_a_word(tiny_run):
    p = Predictor.load(tiny_run, device="cpu")
    text = "质量太差了。refund！"
    for method in METHODS:
        e = explain(p, [text], method=method)[0]
        assert [w.text for w in e.words] == ["质量", "太", "差", "了", "refund"]
        assert "。" not in [w.text for w in e.top(10) + e.top(10, toward=False)]
    enc = p.tokenizer(text, return_offsets_mapping=True, return_tensors="pt")
    units, spans = word_units(enc, text)
    assert len(spans) == 5 and (units[0] == -1) and (units[-1] == -1)  # [CLS] and [SEP] belong to no word
    assert (units == -1).sum() == 4  # nor do "。" and "！"


def test_explaining_a_chosen_label_and_the_errors_a_user_can_hit(tiny_run, tmp_path):
    p = Predictor.load(tiny_run, device="cpu")
    both = {e.label for e in explain(p, ["good", "good"], labels=["positive", "negative"])}
    assert both == {"positive", "negative"}
    with pytest.raises(ConfigError, match="not a label"):
        explain(p, ["good"], labels=["neutral"])
    with pytest.raises(ConfigError, match="Unknown explanation method"):
        explain(p, ["good"], method="shap")
    long = " ".join(["good"] * 400)
    assert explain(p, [long])[0].truncated


def test_highlighted_html_escapes_the_text():
    from tuneboard.predict.explanations import Explanation, Word

    text = "<script>alert(1)</script> refund"
    e = Explanation(text, "billing", 0.9, "ig", [Word("<script>alert(1)</script>", 0, 25, -0.2),
                                                  Word("refund", 26, 32, 0.5)])
    out = highlight_html(e)
    assert "<script>" not in out and "&lt;script&gt;" in out and "rgba(22,163,74,0.80)" in out
    assert without(text, [e.words[0]]) == "refund"


def test_faithfulness_is_computed_for_both_methods(tiny_run):
    p = Predictor.load(tiny_run, device="cpu")
    texts = [r[0] for r in sentiment_rows(12, seed=3)]
    for method in METHODS:
        f = deletion_faithfulness(p, texts, method=method, k=2, repeats=2)
        assert f["n"] == 12 and np.isfinite(f["top_k_drop"]) and np.isfinite(f["random_k_drop"])


def test_cli_predict_explain_json(tiny_run):
    r = subprocess.run([sys.executable, "-m", "tuneboard", "predict", str(tiny_run), "--text", "great love",
                        "--explain", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert [w["text"] for w in out["words"]] == ["great", "love"] and out["method"] == "ig"
    r = subprocess.run([sys.executable, "-m", "tuneboard", "predict", str(tiny_run), "--input", "x.csv",
                        "--output", "y.csv", "--explain"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "--explain works with --text" in r.stderr


def test_the_tfidf_model_explains_chinese_reviews_in_words_without_punctuation():
    run = execute(TrainConfig(data=str(ROOT / "examples" / "zh_reviews.csv"), model="tfidf"))
    p = Predictor.load(run.run.path)
    text = "质量太差了。。。物流太慢了！！"
    e = explain(p, [text], labels=["负面"])[0]
    assert e.method == "linear" and e.label == "负面"
    assert [w.text for w in e.words] == ["质量", "太", "差", "了", "物流", "太", "慢", "了"]
    top = [w.text for w in e.top(3)]
    assert "质量" in top or "差" in top or "慢" in top, top  # the words that make it negative lead
    shown = e.top(20) + e.top(20, toward=False)
    assert shown and not any(w.text in "。！，" for w in shown)


def test_the_tfidf_models_word_weights_add_up_to_its_score_for_english(sentiment_csv):
    from tuneboard.predict.baseline import feature_weights

    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    p = Predictor.load(run.run.path)
    text = "Great, great product!!"
    e = explain(p, [text], labels=["positive"])[0]
    assert [w.text for w in e.words] == ["Great", "great", "product"]
    _, contributions = feature_weights(p.model, text, p.labels.index("positive"))
    assert sum(w.weight for w in e.words) == pytest.approx(float(contributions.sum()), abs=1e-9)
