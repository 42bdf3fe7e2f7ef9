"""Active learning: which rows to label next, zero-shot guesses, the learning curve, cached embeddings."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import sentiment_rows
from tuneboard.classnames import ClassName
from tuneboard.errors import ConfigError
from tuneboard.labeling import STRATEGIES, Suggestion, curve_verdict, learning_curve, suggest
from tuneboard.labeling.active import EXPLORE, guess_all


def _table(n: int = 120) -> tuple[list[str], list[str]]:
    rows = sentiment_rows(n)
    return [f"{text} item{i}" for i, (text, _) in enumerate(rows)], [label for _, label in rows]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("labeled", [5, 40, 110])
def test_suggest_never_returns_a_labeled_row(strategy: str, labeled: int) -> None:
    texts, y = _table()
    labels = {i: y[i] for i in range(0, 2 * labeled, 2) if i < len(texts)}
    picked = suggest(texts, labels, n=30, strategy=strategy)
    rows = [s.row for s in picked]
    assert rows and not set(rows) & set(labels)
    assert len(set(rows)) == len(rows) == min(30, len(texts) - len(labels))


def test_empty_labels_count_as_unlabeled_and_a_full_table_gives_nothing() -> None:
    texts, y = _table(30)
    assert {s.row for s in suggest(texts, {0: "", 1: None}, n=30, strategy="random")} == set(range(30))
    assert suggest(texts, dict(enumerate(y)), n=5) == []


def test_uncertain_picks_are_the_least_confident_rows_then_a_random_share() -> None:
    texts, y = _table()
    labels = {i: y[i] for i in range(40)}
    picked = [s.row for s in suggest(texts, labels, n=8)]
    proba = guess_all(texts, labels).proba
    top = np.sort(proba, axis=1)
    margin = top[:, -1] - top[:, -2]
    unlabeled = [r for r in range(len(texts)) if r not in labels]
    doubtful = 8 - int(8 * EXPLORE)
    least = sorted(unlabeled, key=lambda r: margin[r])[:doubtful]
    assert picked[:doubtful] == least
    assert max(margin[picked[:doubtful]]) < np.median(margin[unlabeled])
    assert len(set(picked)) == 8


def test_a_batch_holds_no_near_duplicates() -> None:
    texts, y = _table(60)
    labels = {i: y[i] for i in range(60)}
    # the least certain texts of the pool, each present ten times: a batch takes one of each
    doubtful = ["good bad", "great awful", "love hate"]
    texts += [d for d in doubtful for _ in range(10)] + [f"{w} invoice{i}" for i, w in enumerate(["fast", "slow"] * 10)]
    picked = [texts[s.row] for s in suggest(texts, labels, n=10)]
    assert len(set(picked)) == len(picked), picked
    assert set(doubtful) <= set(picked[:10 - int(10 * EXPLORE)])


def test_zero_shot_guesses_follow_the_class_descriptions() -> None:
    classes = [ClassName("A", "money", "refund invoice charge payment card"),
               ClassName("B", "login", "password account locked reset login")]
    texts = ["please refund the charge on my card", "my invoice shows a double payment",
             "I cannot reset my password", "my account is locked after login", "refund my payment now",
             "password reset link never arrives"]
    guesses = {s.row: s.guess for s in suggest(texts, {}, n=len(texts), strategy="random", classes=classes)}
    assert guesses == {0: "A", 1: "A", 2: "B", 3: "B", 4: "A", 5: "B"}


def test_without_classes_or_labels_there_is_no_guess_and_diverse_rows_spread_out() -> None:
    texts = ["refund my card"] * 5 + ["password reset"] * 5 + ["parcel is late"] * 5
    picked = suggest(texts, {}, n=3)
    assert all(s.guess is None and s.confidence is None for s in picked)
    assert {texts[s.row] for s in picked} == set(texts)


def test_suggest_uses_embeddings_it_is_given() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 16))
    y = rng.integers(0, 2, size=80)
    vectors = centres[y] + 0.3 * rng.normal(size=(80, 16))
    texts = [f"text {i}" for i in range(80)]
    labels = {i: "ab"[y[i]] for i in range(30)}
    picked = suggest(texts, labels, n=10, embeddings=vectors)
    assert all(s.guess == "ab"[y[s.row]] for s in picked if s.confidence > 0.9)
    assert len(picked) == 10 and not {s.row for s in picked} & set(labels)


def test_a_suggestion_reads_as_a_plain_object() -> None:
    assert Suggestion(17, "positive", 0.52).to_dict() == {"row": 17, "guess": "positive", "confidence": 0.52}


def test_an_unknown_strategy_or_row_is_a_one_line_error() -> None:
    with pytest.raises(ConfigError, match="uncertain, diverse, random"):
        suggest(["a", "b"], {}, strategy="smart")
    with pytest.raises(ConfigError, match="Row 5"):
        suggest(["a", "b"], {5: "x"})


def test_the_learning_curve_rises_with_labels_and_says_so() -> None:
    texts, y = _table(200)
    curve = learning_curve(texts, {i: y[i] for i in range(160)}, points=4)
    assert [n for n, _ in curve] == [20, 40, 80, 160]
    assert curve[-1][1] > 0.8
    assert learning_curve(texts, {i: y[i] for i in range(10)}) == []


def test_the_verdict_tells_rising_from_flat() -> None:
    assert curve_verdict([(40, 0.60), (80, 0.70)])[0] == "active.curve.rising"
    assert curve_verdict([(40, 0.80), (80, 0.82)])[0] == "active.curve.slowing"
    assert curve_verdict([(40, 0.90), (80, 0.90)])[0] == "active.curve.flat"
    key, values = curve_verdict([(20, 0.5)])
    assert key == "active.curve.too_few" and values == {"labels": 20}


def test_embeddings_are_cached_on_disk_and_read_back(tiny_model: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tuneboard.labeling import cached_embeddings, embed_table

    monkeypatch.setenv("TUNEBOARD_RUNS_DIR", str(tmp_path / "runs"))
    texts = ["good product", "bad product", "refund please"]
    assert cached_embeddings(texts, tiny_model) is None
    vectors = embed_table(texts, tiny_model)
    assert vectors.shape == (3, 32) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    files = list((tmp_path / "cache" / "embeddings").iterdir())
    assert [f.suffix for f in files] == [".safetensors"]
    assert np.allclose(cached_embeddings(texts, tiny_model), vectors, atol=1e-2)
    assert cached_embeddings(texts[:2], tiny_model) is None
