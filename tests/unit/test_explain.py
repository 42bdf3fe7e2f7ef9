"""Why this label: word attributions from a tiny random BERT, merged into words, CJK per character."""
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
from tuneboard.explain import METHODS, deletion_faithfulness, explain, highlight_html, without, word_units
from tuneboard.inference import Predictor
from tuneboard.training import execute

ROOT = Path(__file__).resolve().parents[2]


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
    assert [w.text for w in e.words] == ["refunding", "my", "subscription", ",", "please", "!"]
    assert all(text[w.start:w.end] == w.text for w in e.words)
    assert all(np.isfinite(w.weight) for w in e.words) and any(w.weight != 0 for w in e.words)
    assert e.label in p.labels and e.score == pytest.approx(p.predict([text])[0]["scores"][e.label], abs=1e-4)
    assert e.method == method and not e.truncated


def test_each_chinese_character_is_a_word_and_latin_words_stay_whole(tiny_run):
    p = Predictor.load(tiny_run, device="cpu")
    text = "质量太差 refund 了"
    e = explain(p, [text])[0]
    assert [w.text for w in e.words] == ["质", "量", "太", "差", "refund", "了"]
    enc = p.tokenizer(text, return_offsets_mapping=True, return_tensors="pt")
    units, spans = word_units(enc, text)
    assert len(spans) == 6 and (units[0] == -1) and (units[-1] == -1)  # [CLS] and [SEP] belong to no word


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
    from tuneboard.explain import Explanation, Word

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


def test_the_tfidf_baseline_says_it_cannot_be_explained(sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    with pytest.raises(ConfigError, match="TF-IDF"):
        explain(Predictor.load(run.run.path), ["good"])
