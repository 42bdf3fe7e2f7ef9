"""The recommendation follows the evidence: the baseline, the score, weak classes, slices and calibration."""
import pandas as pd
import pytest

from tuneboard.evaluate.decision import NOT_YET, SHIP, USE_BASELINE, decide

PER_CLASS = {"spam": {"precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 40},
             "ham": {"precision": 0.9, "recall": 0.9, "f1": 0.9, "support": 40}}


def metrics(score: float = 0.9, base: float | None = 0.8, **extra) -> dict:
    out = {"task": "single_label", "main_metric": "macro_f1", "higher_is_better": True, "macro_f1": score,
           "accuracy": score, "n_val": 80, "per_class": PER_CLASS, "ece": 0.03,
           "calibration": {"ece": 0.03, "bins": [{"low": 0.8, "high": 0.9, "confidence": 0.85, "accuracy": 0.88,
                                                  "count": 80}]}}
    if base is not None:
        out["baseline"] = {"macro_f1": base}
    return {**out, **extra}


def test_a_model_that_beats_the_baseline_and_is_good_enough_ships():
    d = decide(metrics())
    assert (d.verdict, d.reason, d.score, d.baseline, d.risks) == (SHIP, "good", 0.9, 0.8, ())


def test_a_good_model_without_a_baseline_ships_on_its_score_alone():
    assert (decide(metrics(base=None)).verdict, decide(metrics(base=None)).baseline) == (SHIP, None)


def test_when_the_simple_model_scores_higher_use_it():
    d = decide(metrics(score=0.68, base=1.0))
    assert (d.verdict, d.reason) == (USE_BASELINE, "baseline_better")


def test_a_tie_with_the_simple_model_goes_to_the_simple_model():
    assert decide(metrics(score=0.9, base=0.897)).reason == "baseline_tie"
    assert decide(metrics(score=0.9, base=0.89)).verdict == SHIP  # a point better is better


def test_a_model_right_too_rarely_is_not_shipped_yet():
    d = decide(metrics(score=0.6, base=0.5))
    assert (d.verdict, d.reason) == (NOT_YET, "low_score")


def test_a_class_the_model_misses_blocks_a_release_when_enough_rows_show_it():
    weak = {**PER_CLASS, "fraud": {"precision": 0.5, "recall": 0.2, "f1": 0.29, "support": 12}}
    d = decide(metrics(per_class=weak))
    assert (d.verdict, d.reason) == (NOT_YET, "weak_class")
    assert (d.risks[0].kind, d.risks[0].subject, d.risks[0].value, d.risks[0].rows) == ("weak_class", "fraud", 0.2, 12)
    rare = {**PER_CLASS, "fraud": {"precision": 0.5, "recall": 0.2, "f1": 0.29, "support": 3}}
    d = decide(metrics(per_class=rare))
    assert d.verdict == SHIP and d.risks[0].kind == "weak_class"  # too few rows to block, still a risk


def test_a_run_without_a_score_is_not_ready():
    d = decide({"task": "single_label", "main_metric": "macro_f1"})
    assert (d.verdict, d.reason) == (NOT_YET, "no_score")


def test_the_simple_model_itself_is_judged_on_its_score():
    d = decide(metrics(score=0.95, base=0.95, model_kind="tfidf"))
    assert (d.verdict, d.reason) == (SHIP, "good")


@pytest.mark.parametrize("rmse, r2, base, expected", [(0.5, 0.8, 0.7, (SHIP, "good")),
                                                      (0.9, 0.8, 0.7, (USE_BASELINE, "baseline_better")),
                                                      (0.5, 0.3, 0.7, (NOT_YET, "low_score"))])
def test_regression_lower_error_wins_and_r2_sets_the_bar(rmse, r2, base, expected):
    m = {"task": "regression", "main_metric": "rmse", "higher_is_better": False, "rmse": rmse, "r2": r2,
         "n_val": 100, "baseline": {"rmse": base}}
    d = decide(m)
    assert (d.verdict, d.reason) == expected


def test_slices_clearly_below_overall_calibration_and_a_small_test_set_are_risks_worst_first():
    table = pd.DataFrame({"by": ["channel", "channel", "Script"], "value": ["app", "web", "Latin"],
                          "rows": [30, 40, 25], "accuracy": [0.5, 0.7, 0.85], "below_overall": [True, True, False]})
    shaky = {"ece": 0.2, "calibration": {"bins": [{"low": 0.9, "high": 1.0, "confidence": 0.95, "accuracy": 0.75,
                                                   "count": 20}]}}
    d = decide(metrics(n_val=20, **shaky), table)
    assert [r.kind for r in d.risks] == ["slice", "slice", "calibration", "small_validation"]
    assert d.risks[0].subject == ("channel", "app") and d.risks[0].rows == 30
    assert d.risks[2].subject == "over" and d.risks[2].extra == {"said": 0.95, "right": 0.75}
    assert len(d.top_risks) == 3 and d.verdict == SHIP  # risks to watch, not reasons to wait
    humble = {"ece": 0.2, "calibration": {"bins": [{"low": 0.5, "high": 0.6, "confidence": 0.55, "accuracy": 0.9,
                                                    "count": 80}]}}
    assert decide(metrics(**humble)).risks[0].subject == "under"
