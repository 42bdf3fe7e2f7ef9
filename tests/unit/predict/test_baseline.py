import json

import numpy as np

from tuneboard.config import TrainConfig
from tuneboard.predict.baseline import analyzer_for, fit_baseline
from tuneboard.predict.inference import Predictor
from tuneboard.train.pipeline import execute


def test_char_ngrams_for_chinese_word_ngrams_for_english():
    assert analyzer_for(["这个产品质量很好，我很喜欢", "物流太慢了，非常失望"]) == "char"
    assert analyzer_for(["the parcel never arrived", "refund my card please"]) == "word"


def test_baseline_learns_chinese_with_char_ngrams():
    pos = ["质量很好，非常喜欢", "很好用，推荐购买", "非常满意，物超所值", "喜欢这个颜色，很好"] * 5
    neg = ["质量很差，非常失望", "太差了，不推荐", "非常不满意，退货", "失望，颜色很差"] * 5
    b = fit_baseline(pos + neg, np.array([1] * 20 + [0] * 20), "single_label", ["负面", "正面"])
    assert b.analyzer == "char"
    assert b.scores(["非常喜欢，很好"]).argmax() == 1


def test_every_run_records_a_baseline_and_tfidf_is_a_model_of_its_own(tiny_model, sentiment_csv):
    run = execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=16,
                              learning_rate=3e-3, freeze_embeddings=False))
    m = json.loads((run.run.path / "metrics.json").read_text())
    assert m["baseline"]["macro_f1"] > 0.9 and "fit_seconds" in m["baseline"]
    assert any(e["type"] == "baseline" for e in run.run.history())

    tfidf = execute(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    assert tfidf.status == "completed" and tfidf.metrics["model_kind"] == "tfidf"
    assert tfidf.metrics["accuracy"] > 0.9
    p = Predictor.load(tfidf.run.path)
    assert p.predict(["great love happy"])[0]["label"] == "positive"
    assert (tfidf.run.path / "predictions.parquet").is_file()


def test_binary_threshold_moves_the_decision(tiny_model, sentiment_csv, tmp_path):
    run = execute(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    p = Predictor.load(run.run.path)
    text = ["great love happy"]
    assert p.predict(text)[0]["label"] == "positive"
    p.threshold = 0.9999
    assert p.predict(text)[0]["label"] == "negative"
    m = run.metrics
    assert "roc_auc" in m and "pr_auc" in m and 0 <= m["ece"] <= 1 and m["calibration"]["bins"]
