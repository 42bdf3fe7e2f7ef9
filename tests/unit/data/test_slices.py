"""Slices: accuracy per extra column, length bucket and script, with Wilson intervals, worst first."""
import pandas as pd
import pytest

from tuneboard.config import TrainConfig
from tuneboard.data.slices import (
    LENGTH,
    SCRIPT,
    judge,
    length_bucket,
    script_of,
    slice_rows,
    slice_table,
    wilson,
    with_data_columns,
)


def frame_with(channel_right: dict[str, tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for channel, (right, n) in channel_right.items():
        for i in range(n):
            rows.append({"text": f"{channel} message number {i}", "label": "a", "predicted": "a" if i < right else "b",
                         "channel": channel})
    df = pd.DataFrame(rows)
    df["correct"] = df["label"] == df["predicted"]
    df["confidence"] = 0.9
    return df


def test_wilson_interval_matches_the_textbook_values():
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    assert wilson(0, 0) == (0.0, 1.0)
    narrow, wide = wilson(80, 100), wilson(8, 10)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_worst_slice_comes_first_with_counts_and_bounds():
    table = slice_table(frame_with({"email": (18, 20), "phone": (5, 10), "chat": (29, 30), "fax": (1, 2)}))
    by_channel = table[table["by"] == "channel"]
    assert by_channel["value"].tolist() == ["phone", "email", "chat"]  # fax: 2 rows, under the minimum
    phone = by_channel.iloc[0]
    assert (phone["rows"], phone["errors"], phone["accuracy"]) == (10, 5, 0.5)
    assert phone["low"] < 0.5 < phone["high"] and bool(phone["below_overall"])
    assert table["accuracy"].is_monotonic_increasing
    assert len(slice_rows(frame_with({"email": (18, 20), "phone": (5, 10)}), "channel", "phone")) == 10


def test_scripts_and_length_buckets():
    assert script_of("质量太差了 ok") == "CJK" and script_of("hello мир world") == "Latin"
    assert script_of("привет") == "Cyrillic" and script_of("1234 !!") == "None"
    assert length_bucket("x" * 10) == "0-49" and length_bucket("x" * 250) == "200+"
    df = pd.DataFrame({"text": ["good product"] * 6 + ["质量太差了"] * 6, "label": "a",
                       "predicted": ["a"] * 6 + ["b"] * 6})
    df["correct"] = df["label"] == df["predicted"]
    table = slice_table(df)
    assert table.iloc[0][["by", "value", "accuracy"]].tolist() == [SCRIPT, "CJK", 0.0]
    assert LENGTH not in set(table["by"])  # every text is short: one bucket, nothing to compare


def test_extra_columns_are_joined_from_the_data_file(tmp_path):
    data = tmp_path / "d.csv"
    pd.DataFrame({"msg": [f" text {i}" for i in range(20)], "intent": ["a", "b"] * 10,
                  "source": ["web"] * 10 + ["app"] * 10, "row_id": range(20)}).to_csv(data, index=False)
    preds = pd.DataFrame({"text": [f"text {i}" for i in range(20)], "label": ["a", "b"] * 10,
                          "predicted": ["a"] * 20})
    preds["correct"] = preds["label"] == preds["predicted"]
    joined = with_data_columns(preds, TrainConfig(data=str(data), text_column="msg", label_column="intent"))
    assert joined["source"].tolist() == ["web"] * 10 + ["app"] * 10 and "row_id" not in joined  # 20 ids: no slice
    assert set(slice_table(joined)["by"]) == {"source"}


def test_a_binary_run_is_judged_at_its_saved_threshold():
    df = pd.DataFrame({"text": ["x", "y"], "label": ["neg", "pos"], "predicted": ["neg", "neg"],
                       "score_neg": [0.7, 0.6], "score_pos": [0.3, 0.4], "correct": [True, False]})
    judged = judge(df, {"task": "single_label", "labels": ["neg", "pos"], "threshold": 0.35})
    assert judged["predicted"].tolist() == ["neg", "pos"] and judged["correct"].all()


def test_slices_are_named_in_the_readers_language_and_column_values_stay_as_they_are():
    from tuneboard.data.slices import BLANK, LENGTH, SCRIPT, by_name, value_name
    from tuneboard.i18n import set_language

    set_language("zh")
    try:
        assert by_name(LENGTH) == "文本长度" and by_name(SCRIPT) == "文字"
        assert value_name(LENGTH, "0-49") == "0–49 个字符" and value_name(LENGTH, "200+") == "200 个字符以上"
        assert value_name(SCRIPT, "CJK") == "中日韩文字" and value_name(SCRIPT, "None") == "无文字"
        assert value_name("channel", "web") == "web" and value_name("channel", BLANK) == "（空）"
        assert by_name("channel") == "channel"
    finally:
        set_language("en")
    assert value_name(LENGTH, "50-99") == "50–99 characters" and value_name(SCRIPT, "Latin") == "Latin"
