"""read_table: formats, encodings, delimiters, headerless files, Excel details."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from tuneboard.data.readers import read_table, sniff_delimiter
from tuneboard.errors import DataError

ROWS = [("Der Kaffee war großartig, danke!", "positiv"), ("Lieferung kam zu spät", "negativ"),
        ("Très bon produit", "positiv"), ("Das Gerät ist kaputt", "negativ")] * 3
ZH_TRAD = [("這個產品很好用，質量不錯", "正面"), ("物流太慢了，非常失望", "負面"), ("客服態度很好，推薦購買", "正面"),
           ("做工粗糙，用了一週就壞了", "負面")] * 8


def _write(path: Path, rows, header=("text", "label"), sep=",", encoding="utf-8") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerows(([header] if header else []) + list(rows))
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"),
                                               ("latin-1", None), ("cp1252", None)])
def test_encodings_detected_and_bom_never_leaks(tmp_path: Path, encoding: str, expected: str | None) -> None:
    df, info = read_table(_write(tmp_path / "t.csv", ROWS, encoding=encoding))
    assert list(df.columns) == ["text", "label"]
    assert df["text"].tolist() == [r[0] for r in ROWS]
    if expected:
        assert info.encoding == expected


def test_gbk_and_big5(tmp_path: Path) -> None:
    zh = pd.read_csv(Path(__file__).resolve().parents[3] / "examples" / "zh_reviews.csv", dtype=str)
    zh.to_csv(tmp_path / "gbk.csv", index=False, encoding="gbk")
    df, info = read_table(tmp_path / "gbk.csv")
    assert info.encoding == "gb18030" and df.equals(zh.astype("str"))
    df, info = read_table(_write(tmp_path / "big5.csv", ZH_TRAD, header=("評論", "情感"), encoding="big5"))
    assert info.encoding.startswith("big5") and df["評論"].tolist() == [r[0] for r in ZH_TRAD]


def test_encoding_override(tmp_path: Path) -> None:
    path = _write(tmp_path / "l1.csv", ROWS, encoding="latin-1")
    df, info = read_table(path, encoding="latin-1")
    assert info.encoding == "latin-1" and df["text"][0] == ROWS[0][0]


@pytest.mark.parametrize("bom,enc", [(False, "utf-16-le"), (False, "utf-16-be")])
def test_utf16_without_bom_is_decoded(tmp_path: Path, bom: bool, enc: str) -> None:
    df, info = read_table(_write(tmp_path / "u.csv", ROWS, encoding=enc))
    assert info.encoding == enc and df["label"].tolist() == [r[1] for r in ROWS]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters_sniffed(tmp_path: Path, sep: str) -> None:
    df, info = read_table(_write(tmp_path / "d.txt", ROWS, sep=sep))
    assert info.delimiter == sep and df.shape == (len(ROWS), 2)


def test_sniff_prefers_consistent_delimiter() -> None:
    assert sniff_delimiter("a;b\nhello, world;x\nfoo, bar;y\n") == ";"
    assert sniff_delimiter("one\n", ".tsv") == "\t"


def test_headerless_file_gets_generated_names(tmp_path: Path) -> None:
    df, info = read_table(_write(tmp_path / "h.csv", ROWS, header=None, sep=";"))
    assert not info.has_header and list(df.columns) == ["column_1", "column_2"] and len(df) == len(ROWS)
    nums = [("great stuff really", "4.5"), ("bad one indeed", "1.0")] * 5
    df, info = read_table(_write(tmp_path / "n.csv", nums, header=None))
    assert not info.has_header and df["column_2"][0] == "4.5"


def test_header_kept_when_it_looks_like_names(tmp_path: Path) -> None:
    df, info = read_table(_write(tmp_path / "h.csv", ROWS, header=("review", "sentiment")))
    assert info.has_header and list(df.columns) == ["review", "sentiment"]


def test_column_names_and_cells_trimmed_of_spaces_and_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("\ufeff text , label ,\nhello,a,\n,,\nworld,b,\nagain,a,\n", encoding="utf-8")
    df, _ = read_table(path)
    assert list(df.columns) == ["text", "label"] and len(df) == 3


def test_excel_sheet_choice_and_formulas_with_cached_values(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["just a note"])
    ws = wb.create_sheet("Data")
    ws.append(["text", "label"])
    for t, lab in ROWS:
        ws.append([t, lab])
    wb.save(tmp_path / "b.xlsx")
    df, info = read_table(tmp_path / "b.xlsx", sheet="Data")
    assert info.sheets == ["Notes", "Data"] and df["label"].tolist() == [r[1] for r in ROWS]
    with pytest.raises(DataError, match="no data rows"):  # the first sheet is the default
        read_table(tmp_path / "b.xlsx")


def test_excel_merged_cells_fill_down(tmp_path: Path) -> None:
    from tests.fixtures_bad import excel_merged_cells

    df, _ = read_table(excel_merged_cells(tmp_path).path)
    assert df["label"].tolist()[:4] == ["early", "early", "late", "late"]


def test_excel_numbers_read_as_text(tmp_path: Path) -> None:
    pd.DataFrame({"text": ["a b c", "d e f"], "score": [1, 2.5]}).to_excel(tmp_path / "n.xlsx", index=False)
    df, _ = read_table(tmp_path / "n.xlsx")
    assert df["score"].tolist() == ["1", "2.5"]


def test_json_lists_become_tags(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "a b", "tags": ["x", "y"]}\n{"text": "c d", "tags": ["y"]}\n')
    df, info = read_table(path)
    assert info.format == "jsonl" and df["tags"].tolist() == ["x|y", "y"]
    assert any("joined with '|'" in n for n in info.notes)


def test_parquet_numbers_as_text(tmp_path: Path) -> None:
    pd.DataFrame({"text": ["a", "b"], "n": [1, 2]}).to_parquet(tmp_path / "p.parquet")
    df, info = read_table(tmp_path / "p.parquet")
    assert info.format == "parquet" and df["n"].tolist() == ["1", "2"]


def test_wrong_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot be decoded as utf-8"):
        read_table(_write(tmp_path / "g.csv", ZH_TRAD, encoding="big5"), encoding="utf-8")
