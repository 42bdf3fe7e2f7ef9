"""The LLM baseline in plain words, as Evaluate writes it."""
from __future__ import annotations

from components.llmlabels import baseline_sentence, fmt_cost, fmt_latency
from tuneboard import i18n


def test_the_baseline_sentence_says_size_agreement_and_latency_ratio():
    data = {"agreement": 0.96, "latency_s": 1.2, "model_latency_s": 0.012, "model_parameters": 22_700_000}
    assert baseline_sentence(data) == ("A 22.7 M-parameter model agrees with the LLM on 96.0% of these texts "
                                       "at 1/100 of its latency.")
    assert baseline_sentence({**data, "model_parameters": None}).startswith("This run's model agrees")
    slower = baseline_sentence({**data, "latency_s": 0.01, "model_latency_s": 0.025})
    assert slower.endswith("at 2.5× its latency.")
    assert baseline_sentence({**data, "agreement": None}) == ""
    i18n.set_language("zh")
    try:
        assert baseline_sentence(data) == ("一个 22.7 M 参数的模型在这些文本上与 LLM 的一致率为 96.0%，"
                                           "延迟仅为其 1/100。")
    finally:
        i18n.set_language("en")


def test_latency_and_cost_read_as_people_say_them():
    assert (fmt_latency(0.0123), fmt_latency(2.5), fmt_latency(None)) == ("12 ms", "2.50 s", "—")
    assert (fmt_cost(0.0), fmt_cost(0.004), fmt_cost(1.234), fmt_cost(None)) == ("0.00", "0.0040", "1.23", "—")
