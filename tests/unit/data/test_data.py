"""Column and task detection, label cleaning, and the format round-trip (same examples from every format)."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from tuneboard.config import TrainConfig
from tuneboard.data.prepare import detect_columns, detect_schema, detect_task, prepare_data, suggest_pair_column
from tuneboard.data.readers import read_table

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _demo(name: str) -> Path:
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"demo file {name} is missing")
    return path


@pytest.mark.parametrize("name,text,pair,label,task", [
    ("support_tickets.csv", "message", None, "intent", "single_label"),
    ("support_tickets_multilabel.csv", "message", None, "tags", "multi_label"),
    ("review_ratings.csv", "review", None, "rating", "regression"),
    ("faq_pairs.csv", "question", "answer", "relevant", "single_label"),
    ("zh_reviews.csv", "评论", None, "情感", "single_label"),
])
def test_detect_schema_on_demo_files(name: str, text: str, pair: str | None, label: str, task: str) -> None:
    df, _ = read_table(_demo(name))
    schema = detect_schema(df)
    assert (schema.text_column, schema.text_pair_column, schema.label_column, schema.task) == (text, pair, label, task)
    assert detect_columns(df)[1] == label


def test_several_binary_columns_are_one_multilabel_target(tmp_path: Path) -> None:
    rows = [{"comment": f"text number {i} about things", "toxic": i % 2, "insult": int(i % 3 == 0), "spam": "0"}
            for i in range(40)]
    rows[0]["spam"] = "1"
    pd.DataFrame(rows).to_csv(tmp_path / "m.csv", index=False)
    df, _ = read_table(tmp_path / "m.csv")
    schema = detect_schema(df)
    assert schema.task == "multi_label" and schema.label_columns == ("toxic", "insult", "spam")
    prepared = prepare_data(TrainConfig(data=str(tmp_path / "m.csv")))
    assert prepared.task == "multi_label" and prepared.labels == ["insult", "spam", "toxic"]
    assert any("0/1 values" in n for n in prepared.notes)


def test_detect_task() -> None:
    assert detect_task(pd.Series(["a|b", "b", "c|a", "a", "b|c"] * 5)) == "multi_label"
    assert detect_task(pd.Series([str(x / 7) for x in range(50)])) == "regression"
    assert detect_task(pd.Series(["1", "2", "3", "4", "5"] * 10)) == "single_label"
    assert detect_task(pd.Series(["yes", "no"])) == "single_label"


def test_suggest_pair_column_ignores_short_columns() -> None:
    df = pd.DataFrame({"q": [f"how do I do thing {i} today" for i in range(30)], "id": [f"A{i}" for i in range(30)],
                       "y": ["a", "b"] * 15})
    assert suggest_pair_column(df, "q", "y") is None


def test_label_cleaning_merges_case_and_reports_drops(tmp_path: Path) -> None:
    rows = [
        ("great product", "Positive"),
        ("bad product", "negative"),
        ("fine", " positive "),
        ("", "negative"),
        ("no label here", ""),
        ("awful", "NEGATIVE"),
    ] + [(f"text {i}", "positive" if i % 2 else "negative") for i in range(20)]
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(tmp_path / "l.csv", index=False)
    prepared = prepare_data(TrainConfig(data=str(tmp_path / "l.csv")))
    assert prepared.labels == ["negative", "positive"]
    assert prepared.dropped == {"empty text": 1, "empty label": 1}
    assert any("differ only by case" in n for n in prepared.notes)
    assert prepared.notes[0] == "Dropped 1 row(s) with empty text, 1 row(s) with empty label."


def test_regression_drops_non_numbers_by_reason(tmp_path: Path) -> None:
    rows = [(f"review {i}", str(i / 3)) for i in range(30)] + [("odd one", "n/a")]
    pd.DataFrame(rows, columns=["text", "score"]).to_csv(tmp_path / "r.csv", index=False)
    prepared = prepare_data(TrainConfig(data=str(tmp_path / "r.csv"), task="regression"))
    assert prepared.dropped == {"label not a number": 1} and prepared.task == "regression"


def test_pair_column_is_used_when_set() -> None:
    prepared = prepare_data(TrainConfig(data=str(_demo("faq_pairs.csv")), text_pair_column="answer"))
    assert prepared.text_column == "question" and list(prepared.train.columns) == ["text", "text_pair", "label"]
    assert prepared.suggested_pair_column is None


def _frames(path: Path, **config) -> tuple[pd.DataFrame, pd.DataFrame]:
    p = prepare_data(TrainConfig(data=str(path), **config))
    return p.train, p.val


def _variants(src: pd.DataFrame, tmp: Path, stem: str) -> dict[str, tuple[Path, dict]]:
    text, label = src.columns[:2]
    names = {"text_column": "column_1", "label_column": "column_2"}
    src.to_csv(tmp / f"{stem}_semicolon.csv", sep=";", index=False)
    src.to_csv(tmp / f"{stem}_headerless.csv", header=False, index=False)
    src.to_excel(tmp / f"{stem}.xlsx", index=False)
    src.to_json(tmp / f"{stem}.jsonl", orient="records", lines=True, force_ascii=False)
    src.to_parquet(tmp / f"{stem}.parquet", index=False)
    same = {"text_column": text, "label_column": label}
    return {"semicolon": (tmp / f"{stem}_semicolon.csv", same), "headerless": (tmp / f"{stem}_headerless.csv", names),
            "xlsx": (tmp / f"{stem}.xlsx", same), "jsonl": (tmp / f"{stem}.jsonl", same),
            "parquet": (tmp / f"{stem}.parquet", same)}


def test_round_trip_every_format_gives_identical_examples(tmp_path: Path) -> None:
    src = pd.read_csv(_demo("support_tickets.csv"), dtype=str, keep_default_na=False)
    train, val = _frames(_demo("support_tickets.csv"), text_column="message", label_column="intent")
    for name, (path, config) in _variants(src, tmp_path, "tickets").items():
        t, v = _frames(path, **config)
        pd.testing.assert_frame_equal(t, train, obj=name)
        pd.testing.assert_frame_equal(v, val, obj=name)


def test_round_trip_gbk_chinese(tmp_path: Path) -> None:
    src = pd.read_csv(_demo("zh_reviews.csv"), dtype=str)
    train, val = _frames(_demo("zh_reviews.csv"))
    src.to_csv(tmp_path / "gbk.csv", index=False, encoding="gbk")
    src.to_csv(tmp_path / "gbk_headerless.csv", index=False, header=False, encoding="gbk", sep=";")
    for path, config in ((tmp_path / "gbk.csv", {}), (tmp_path / "gbk_headerless.csv",
                                                      {"text_column": "column_1", "label_column": "column_2"})):
        t, v = _frames(path, **config)
        pd.testing.assert_frame_equal(t, train)
        pd.testing.assert_frame_equal(v, val)


def test_training_is_identical_from_csv_and_parquet(tmp_path: Path, sentiment_csv: Path, tiny_model: str) -> None:
    from tuneboard.train.pipeline import execute

    pd.read_csv(sentiment_csv, dtype=str).to_parquet(tmp_path / "s.parquet", index=False)
    results = []
    for path in (sentiment_csv, tmp_path / "s.parquet"):
        cfg = TrainConfig(data=str(path), model=tiny_model, epochs=1, device="cpu", output_dir=str(tmp_path / "runs"))
        m = execute(cfg).metrics
        results.append({k: m[k] for k in ("accuracy", "macro_f1", "n_train", "n_val") if k in m})
    assert results[0] == results[1] and "accuracy" in results[0]
    assert not math.isnan(results[0]["accuracy"])
