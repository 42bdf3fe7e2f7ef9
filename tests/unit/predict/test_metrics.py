import numpy as np
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score

from tuneboard.predict.metrics import compute_metrics, is_better


def test_single_label_matches_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    scores = rng.random((200, 3))
    m = compute_metrics("single_label", ["a", "b", "c"], y, scores)
    pred = scores.argmax(1)
    assert m["accuracy"] == accuracy_score(y, pred)
    assert abs(m["macro_f1"] - f1_score(y, pred, average="macro")) < 1e-12
    assert np.array(m["confusion_matrix"]["matrix"]).sum() == 200
    assert set(m["per_class"]) == {"a", "b", "c"}
    assert sum(r["support"] for r in m["per_class"].values()) == 200


def test_multi_label_and_regression_match_sklearn():
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    p = np.array([[0.9, 0.2], [0.1, 0.4], [0.8, 0.7], [0.6, 0.1]])
    m = compute_metrics("multi_label", ["x", "z"], y, p)
    assert abs(m["micro_f1"] - f1_score(y, (p >= 0.5).astype(int), average="micro")) < 1e-12
    yt, yp = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.0, 2.5, 4.5])
    r = compute_metrics("regression", [], yt, yp)
    assert r["mae"] == mean_absolute_error(yt, yp) and r["r2"] == r2_score(yt, yp)


def test_direction_of_main_metric():
    assert is_better("single_label", 0.9, 0.8) and not is_better("single_label", 0.7, 0.8)
    assert is_better("regression", 0.3, 0.5) and is_better("regression", 1.0, None)
