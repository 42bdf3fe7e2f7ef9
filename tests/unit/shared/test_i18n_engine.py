"""The engine's messages follow the chosen language: errors, setting limits, data-health findings and
coaching tips come out in Chinese under ``set_language("zh")`` and word for word as before in English."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tuneboard import i18n
from tuneboard.config import TrainConfig
from tuneboard.data.health import health_report
from tuneboard.data.prepare import prepare_data
from tuneboard.errors import ConfigError, DataError
from tuneboard.evaluate.coaching import coach

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def lang():
    """Switch the language for one test; English again afterwards."""
    yield i18n.set_language
    i18n.set_language("en")


def _csv(tmp: Path, name: str, labels: list[str]) -> str:
    path = tmp / name
    pd.DataFrame({"text": [f"the parcel number {i} arrived today" for i in range(len(labels))],
                  "label": labels}).to_csv(path, index=False)
    return str(path)


def _error(fn) -> DataError | ConfigError:
    with pytest.raises((DataError, ConfigError)) as e:
        fn()
    return e.value


def _english_words(text: str, allowed: set[str]) -> set[str]:
    """ASCII words of three letters or more that are not data, code or names we keep as they are."""
    return {w for w in re.findall(r"[A-Za-z][A-Za-z0-9-]{2,}", text)} - allowed


def test_a_missing_column_in_both_languages(tmp_path: Path, lang) -> None:
    data = _csv(tmp_path, "t.csv", ["a", "b"] * 10)
    wrong = lambda: prepare_data(TrainConfig(data=data, text_column="nope"))  # noqa: E731
    e = _error(wrong)
    assert str(e) == "Column 'nope' is not in the file. Columns found: text, label." and e.title == "Data problem"
    lang("zh")
    e = _error(wrong)
    assert str(e) == "文件中没有“nope”列。现有的列：text, label。" and e.title == "数据问题"


def test_an_out_of_range_setting_in_both_languages(lang) -> None:
    e = _error(lambda: TrainConfig(data="t.csv", learning_rate=1.0))
    assert str(e) == "Learning rate 1.0 is out of range: use a number from 1e-6 to 0.01 (e.g. 5e-5)."
    assert e.title == "Settings problem"
    lang("zh")
    e = _error(lambda: TrainConfig(data="t.csv", learning_rate=1.0))
    assert str(e) == "学习率 1.0 超出范围：请使用 1e-6 至 0.01 之间的数字（例如 5e-5）。" and e.title == "设置问题"
    e = _error(lambda: TrainConfig(data="t.csv", warmup_ratio=1.0))
    assert str(e) == "预热比例 1.0 超出范围：请使用 0 至 1（不含 1）之间的数字（例如 0.06）。"


def test_a_one_class_file_in_both_languages(tmp_path: Path, lang) -> None:
    data = _csv(tmp_path, "one.csv", ["pos"] * 20)
    e = _error(lambda: prepare_data(TrainConfig(data=data)))
    assert str(e) == ("Every usable row has the same label ('pos'): a classifier needs at least 2 classes. "
                      "Add examples of other classes or pick another label column.")
    lang("zh")
    e = _error(lambda: prepare_data(TrainConfig(data=data)))
    assert str(e).startswith("所有可用行的标签都相同（“pos”）") and not _english_words(str(e), {"pos"})


def test_a_file_that_is_not_a_table_names_its_kind_in_the_language(tmp_path: Path, lang) -> None:
    from tuneboard.data.readers import read_table

    (tmp_path / "x.csv").write_bytes(b"%PDF-1.7 ...")
    lang("zh")
    with pytest.raises(DataError) as e:
        read_table(tmp_path / "x.csv")
    message = str(e.value)
    assert "PDF 文档" in message and not _english_words(message, {"csv", "CSV", "PDF", "Excel", "JSON", "Parquet"})


ROWS = ([(f"the parcel number {i} arrived {'late' if i % 2 else 'on time'} today", "late" if i % 2 else "ok")
         for i in range(40)] + [("mail me at jane.doe@example.com", "ok"), ("ok", "ok"), ("", "late")])


def _findings(tmp: Path) -> dict[str, tuple[str, str]]:
    pd.DataFrame(ROWS, columns=["text", "label"]).to_csv(tmp / "h.csv", index=False)
    report = health_report(prepare_data(TrainConfig(data=str(tmp / "h.csv"))))
    return {f.kind: (f.title, f.advice) for f in report.findings}


def test_health_findings_in_both_languages(tmp_path: Path, lang) -> None:
    en = _findings(tmp_path)
    assert en["rows"] == ("43 rows read, 42 usable (1 dropped: 1 with empty text)",
                          "Fill in or remove the dropped rows if they matter.")
    assert en["personal_data"][0] == "Likely personal data: 1 row with email addresses"
    assert en["short_texts"][0] == "1 very short text (under 10 characters, 2%)"
    lang("zh")
    zh = _findings(tmp_path)
    assert set(zh) == set(en)
    assert zh["rows"] == ("读取 43 行，可用 42 行（丢弃 1 行：1 行空文本）", "如果被丢弃的行很重要，请补全或删除它们。")
    assert zh["personal_data"][0] == "可能含有个人信息：1 行含电子邮件地址"
    for kind, (title, advice) in zh.items():
        assert CJK.search(title) and CJK.search(advice), kind
        assert not _english_words(title + advice, {"macro"}), (kind, title, advice)


METRICS = {"main_metric": "macro_f1", "higher_is_better": True, "macro_f1": 0.8, "task": "single_label", "n_val": 12,
           "per_class": {"a": {"support": 5, "recall": 0.1}, "b": {"support": 5, "recall": 0.9}},
           "baseline": {"macro_f1": 0.9}}


def test_coaching_tips_in_both_languages(lang) -> None:
    en = {tip["kind"]: (tip["title"], tip["advice"]) for tip in coach([], METRICS)}
    assert en["small_validation"] == ("Small validation set", "Only 12 validation rows: scores can swing by several "
                                      "points between runs; label more data or use a separate validation file.")
    assert en["baseline_wins"][1] == ("TF-IDF + logistic regression scored 0.900 vs the fine-tuned model's 0.800 "
                                      "macro-F1: on this data the simple model is the better one. Use it (pick the "
                                      "TF-IDF model on Train): it is instant and tiny.")
    lang("zh")
    zh = {tip["kind"]: (tip["title"], tip["advice"]) for tip in coach([], METRICS)}
    assert set(zh) == set(en) == {"small_validation", "baseline_wins", "ignored_classes"}
    assert zh["small_validation"][0] == "验证集太小" and "12 行" in zh["small_validation"][1]
    for title, advice in zh.values():
        assert CJK.search(title) and not _english_words(title + advice, {"TF-IDF", "macro-F1"})
