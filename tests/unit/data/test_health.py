"""The health report: each check on small made-up tables, coverage on the real bundled tokenizer."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tuneboard.config import TrainConfig
from tuneboard.data.health import Finding, format_report, health_report, inspect_file, mask, normalise
from tuneboard.data.prepare import prepare_data

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _kinds(report) -> dict[str, Finding]:
    return {f.kind: f for f in report.findings}


def _table(tmp: Path, rows: list[tuple[str, str]]) -> Path:
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(tmp / "t.csv", index=False)
    return tmp / "t.csv"


def _prepared(tmp: Path, rows: list[tuple[str, str]], **config):
    """``rows`` read and cleaned the way training does (the report only ever sees prepared data)."""
    return prepare_data(TrainConfig(data=str(_table(tmp, rows)), **config))


BASE = [(f"the parcel number {i} arrived {'late' if i % 2 else 'on time'} today", "late" if i % 2 else "ok")
        for i in range(40)]


def test_clean_table_reports_rows_and_balance(tmp_path: Path) -> None:
    report = health_report(prepare_data(TrainConfig(data=str(_table(tmp_path, BASE)))))
    kinds = _kinds(report)
    assert report.rows_read == report.rows_usable == 40
    assert report.class_counts == {"late": 20, "ok": 20} and report.imbalance_ratio == 1.0
    assert kinds["class_balance"].severity == "info" and report.worst == "info"
    json.dumps(report.to_dict())  # charts and --json need plain data


def test_duplicates_conflicts_leakage_short_and_pii(tmp_path: Path) -> None:
    rows = BASE + [
        ("The parcel number 1 arrived late today!", "late"),
        ("the parcel number 3 arrived late today", "ok"),
        ("ok", "ok"),
        ("mail me at jane.doe@example.com", "ok"),
        ("call +1 415-555-0100 now", "late"),
        ("card 4111111111111111 was charged", "late"),
    ]
    report = health_report(prepare_data(TrainConfig(data=str(_table(tmp_path, rows)))))
    kinds = _kinds(report)
    assert kinds["duplicates"].data["exact"] == 1 and kinds["duplicates"].data["near"] == 1
    assert kinds["conflicts"].data["texts"] == 1
    assert kinds["short_texts"].data["rows"] == 1
    pii = kinds["personal_data"].data
    assert pii["counts"] == {"email addresses": 1, "phone numbers": 1, "long ID-like numbers": 1}
    assert pii["examples"]["email addresses"] == ["j***@e***.com"]
    assert "4111" not in json.dumps(pii) and pii["examples"]["long ID-like numbers"] == ["••••••••••••••11"]


def test_leakage_between_train_and_validation_files(tmp_path: Path) -> None:
    train = _table(tmp_path, BASE)
    pd.DataFrame(BASE[:4], columns=["text", "label"]).to_csv(tmp_path / "v.csv", index=False)
    report = health_report(prepare_data(TrainConfig(data=str(train), validation=str(tmp_path / "v.csv"))))
    assert _kinds(report)["leakage"].data["rows"] == 4


def test_a_tag_with_a_single_example_is_an_error(tmp_path: Path) -> None:
    # Single-label data with a one-example class is refused by prepare_data; tags can still be that rare.
    rows = BASE + [("a refund for my late order please", "late|refund")]
    report = health_report(_prepared(tmp_path, rows, task="multi_label"))
    rare = [f for f in report.findings if f.kind == "rare_classes"]
    assert report.task == "multi_label" and report.class_counts["refund"] == 1
    assert rare[0].severity == "error" and rare[0].data["classes"] == ["refund"] and report.worst == "error"


def test_imbalance_warning(tmp_path: Path) -> None:
    rows = BASE[:2] * 30 + [("something else entirely here", "other")] * 3
    kinds = _kinds(health_report(_prepared(tmp_path, rows)))
    assert kinds["class_balance"].data["imbalance_ratio"] == 10.0
    assert kinds["class_balance"].severity == "warning"
    assert kinds["rare_classes"].severity == "warning"


def test_token_lengths_and_truncation(tmp_path: Path, tiny_model: str) -> None:
    from transformers import AutoTokenizer

    rows = [(" ".join(["refund"] * (10 + i * 3)), "a" if i % 2 else "b") for i in range(30)]
    report = health_report(_prepared(tmp_path, rows), tokenizer=AutoTokenizer.from_pretrained(tiny_model),
                           max_length=32)
    tl = report.token_lengths
    assert tl["max"] == 10 + 29 * 3 + 2 and 0.5 < tl["truncated_share"] < 1
    assert tl["suggested_max_length"] == 128 and sum(tl["counts"]) == 30
    assert _kinds(report)["token_lengths"].severity == "warning"


def test_chinese_with_bundled_english_model_warns_about_coverage(tmp_path: Path) -> None:
    from tuneboard.model.catalog import load_tokenizer, resolve_model

    if not (EXAMPLES / "zh_reviews.csv").exists():
        pytest.skip("zh_reviews.csv is missing")
    tokenizer = load_tokenizer(resolve_model("default"))
    zh = health_report(prepare_data(TrainConfig(data=str(EXAMPLES / "zh_reviews.csv"))), tokenizer=tokenizer)
    coverage = _kinds(zh)["tokenizer_coverage"]
    assert coverage.severity == "warning" and coverage.data["unknown_share"] > 0.05
    assert "does not understand this language" in coverage.title
    en = health_report(_prepared(tmp_path, BASE), tokenizer=tokenizer)
    assert _kinds(en)["tokenizer_coverage"].severity == "info"


def test_inspect_file_and_text_rendering() -> None:
    report = inspect_file(EXAMPLES / "support_tickets.csv")
    text = format_report(report)
    assert "task: single_label" in text and "encoding utf-8" in text and report.file["format"] == "csv"


def test_normalise_and_mask() -> None:
    out = normalise(pd.Series(["Hello, World!", "hello world", "质量很好！", "质量 很好"]))
    assert out[0] == out[1] and out[2] == out[3] == "质量很好"
    assert mask("+1 415-555-0100") == "+• •••-•••-••00"


ZH_REVIEWS = ["房间小，很旧。", "强烈不推荐。", "早餐比较差", "物流很快，包装完好。", "质量不错，值得购买！",
              "客服态度很差", "很好", "做工粗糙，不推荐"]


def test_short_chinese_reviews_count_characters_as_words(tmp_path: Path) -> None:
    from tuneboard.i18n import set_language

    rows = [(text, "neg" if i % 2 else "pos") for i, text in enumerate(ZH_REVIEWS * 5)]
    report = health_report(_prepared(tmp_path, rows))
    short = _kinds(report)["short_texts"]
    # Under 10 characters every review here but one would be "very short"; a Chinese character carries
    # about a word, so only the two-character review is.
    assert short.data["rows"] == 5 and set(short.data["examples"]) == {"很好"}
    assert short.data["under"] == 3 and "under 3 Chinese characters" in short.title
    set_language("zh")
    try:
        assert "不足 3 个汉字" in _kinds(health_report(_prepared(tmp_path, rows)))["short_texts"].title
    finally:
        set_language("en")


def test_the_token_length_advice_speaks_of_chinese_characters_for_chinese_data(tmp_path: Path) -> None:
    from tuneboard.i18n import set_language
    from tuneboard.model.catalog import load_tokenizer, resolve_model

    tokenizer = load_tokenizer(resolve_model("default"))
    zh = health_report(prepare_data(TrainConfig(data=str(EXAMPLES / "zh_reviews.csv"))), tokenizer=tokenizer)
    lengths = zh.token_lengths
    # measured with the tokenizer: a BERT-style vocabulary reads Chinese about one character per token
    assert lengths["unit"] == "cjk_chars" and 0.6 < lengths["per_token"] < 1.2
    held = round(128 * lengths["per_token"])
    assert f"128 tokens hold about {held} Chinese characters" in _kinds(zh)["token_lengths"].advice
    en = health_report(_prepared(tmp_path, BASE), tokenizer=tokenizer)
    assert en.token_lengths["unit"] == "words" and "words of your texts" in _kinds(en)["token_lengths"].advice
    set_language("zh")
    try:
        again = health_report(prepare_data(TrainConfig(data=str(EXAMPLES / "zh_reviews.csv"))), tokenizer=tokenizer)
        assert f"{held} 个汉字" in _kinds(again)["token_lengths"].advice
    finally:
        set_language("en")
