"""Generated bad (and awkward-but-fine) input files, one builder per case.

Each builder writes its file(s) into ``tmp`` and returns a ``Case``: how to load it (``read_table``
keyword arguments, or ``TrainConfig`` fields for ``prepare_data``) and the message expected. Refused
cases must end in one ``TuneboardError`` line; accepted cases must say ``message`` in a note.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

GOOD_ROWS = [(f"{w} order number {i} arrived {'late' if i % 2 else 'early'}", "late" if i % 2 else "early")
             for i, w in enumerate(["my", "the", "our", "your", "this", "that"] * 4)]


@dataclass
class Case:
    path: Path
    message: str                      # regex that the one-line message (or a note) must match
    config: dict[str, Any] = field(default_factory=dict)   # TrainConfig fields besides data
    read: dict[str, Any] | None = None  # when set: call read_table(path, **read) instead of prepare_data
    accepted: bool = False            # accepted with a note instead of refused
    error: str = "DataError"          # the TuneboardError subclass expected


def _csv(path: Path, rows: list[tuple[Any, ...]], header: tuple[str, ...] | None = ("text", "label"),
         delimiter: str = ",", encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    if header:
        w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def empty_file(tmp: Path) -> Case:
    (tmp / "empty.csv").write_bytes(b"")
    return Case(tmp / "empty.csv", r"'empty.csv' is empty \(0 bytes\)\. Export the table again")


def blank_lines(tmp: Path) -> Case:
    (tmp / "blank.csv").write_text("\n \n\n", encoding="utf-8")
    return Case(tmp / "blank.csv", r"holds no table \(only blank lines")


def header_only(tmp: Path) -> Case:
    (tmp / "header.csv").write_text("text,label\n", encoding="utf-8")
    return Case(tmp / "header.csv", r"has a header but no data rows")


def png_renamed(tmp: Path) -> Case:
    (tmp / "image.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    return Case(tmp / "image.csv", r"'image.csv' is a PNG image, not a table")


def zip_renamed(tmp: Path) -> Case:
    with zipfile.ZipFile(tmp / "archive.csv", "w") as z:
        z.writestr("data/rows.csv", "text,label\nhello,a\n")
    return Case(tmp / "archive.csv", r"is a ZIP archive, not a table")


def pdf_renamed(tmp: Path) -> Case:
    (tmp / "report.csv").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    return Case(tmp / "report.csv", r"is a PDF document")


def single_column(tmp: Path) -> Case:
    (tmp / "colon.csv").write_text("text:label\n" + "".join(f"{t}:{lab}\n" for t, lab in GOOD_ROWS), encoding="utf-8")
    return Case(tmp / "colon.csv", r"Only one column .* Check the delimiter")


def unbalanced_quote(tmp: Path) -> Case:
    body = "".join(f"{t},{lab}\n" for t, lab in GOOD_ROWS[:5]) + '"this quote never ends,late\n' + \
        "".join(f"{t},{lab}\n" for t, lab in GOOD_ROWS[5:])
    (tmp / "quote.csv").write_text("text,label\n" + body, encoding="utf-8")
    return Case(tmp / "quote.csv", r"has an unbalanced quote")


def ragged_rows(tmp: Path) -> Case:
    body = "".join(f"{t},{lab}\n" for t, lab in GOOD_ROWS[:4]) + "oops, a comma,late\n"
    (tmp / "ragged.csv").write_text("text,label\n" + body, encoding="utf-8")
    return Case(tmp / "ragged.csv", r"Line 6 of 'ragged.csv' has 3 fields where the first row has 2")


def empty_label_column(tmp: Path) -> Case:
    _csv(tmp / "nolabels.csv", [(t, "") for t, _ in GOOD_ROWS], header=("text", "label"))
    return Case(
        tmp / "nolabels.csv", r"The label column 'label' is empty in every row", config={"label_column": "label"}
    )


def single_class(tmp: Path) -> Case:
    _csv(tmp / "oneclass.csv", [(t, "late") for t, _ in GOOD_ROWS])
    return Case(tmp / "oneclass.csv", r"Every usable row has the same label \('late'\)")


def text_equals_label(tmp: Path) -> Case:
    _csv(tmp / "same.csv", GOOD_ROWS)
    return Case(tmp / "same.csv", r"are both 'text'", config={"text_column": "text", "label_column": "text"},
                error="ConfigError")


def unknown_text_column(tmp: Path) -> Case:
    _csv(tmp / "cols.csv", GOOD_ROWS)
    return Case(tmp / "cols.csv", r"Column 'body' is not in the file\. Columns found: text, label",
                config={"text_column": "body"})


def unknown_label_column(tmp: Path) -> Case:
    _csv(tmp / "cols2.csv", GOOD_ROWS)
    return Case(tmp / "cols2.csv", r"Column 'intent' is not in the file", config={"label_column": "intent"})


def duplicate_columns(tmp: Path) -> Case:
    _csv(tmp / "dupes.csv", [(t, lab, lab) for t, lab in GOOD_ROWS], header=("text", "label", "label"))
    return Case(tmp / "dupes.csv", r"Column name\(s\) 'label' appear more than once")


def over_size_limit(tmp: Path) -> Case:
    _csv(tmp / "big.csv", GOOD_ROWS * 20)
    return Case(
        tmp / "big.csv", r"over the 0\.0 MB limit\. Split the file or raise the limit", read={"max_bytes": 1000}
    )


def huge_cell(tmp: Path) -> Case:
    rows = GOOD_ROWS[:3] + [("x" * 10_000_000, "late")] + GOOD_ROWS[3:]
    _csv(tmp / "hugecell.csv", rows)
    return Case(tmp / "hugecell.csv", r"Row 4 of column 'text' in 'hugecell.csv' holds 10,000,000 characters")


def excel_uncalculated_formulas(tmp: Path) -> Case:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["text", "label"])
    for i, (t, _) in enumerate(GOOD_ROWS, start=2):
        ws.append([t, f'=IF(LEN(A{i})>30,"late","early")'])
    wb.save(tmp / "formulas.xlsx")
    return Case(tmp / "formulas.xlsx", r"formula cell\(s\) with no saved result \(e\.g\. B2: =IF")


def excel_merged_cells(tmp: Path) -> Case:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["text", "label"])
    for i, (t, _) in enumerate(GOOD_ROWS):
        ws.append([t, ("late" if i // 2 % 2 else "early") if i % 2 == 0 else None])
    for r in range(2, len(GOOD_ROWS) + 2, 2):
        ws.merge_cells(f"B{r}:B{r + 1}")  # each label spans two rows
    wb.save(tmp / "merged.xlsx")
    return Case(tmp / "merged.xlsx", r"Filled 12 merged cell range\(s\) with their top-left value", accepted=True)



def huge_cell_in_zstd_parquet(tmp: Path) -> Case:
    """The cell limit was checked on the file's size, which compression hides."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [t for t, _ in GOOD_ROWS[:3]] + ["x" * 20_000_000] + [t for t, _ in GOOD_ROWS[3:]]
    labels = [lab for _, lab in GOOD_ROWS[:3]] + ["late"] + [lab for _, lab in GOOD_ROWS[3:]]
    pq.write_table(pa.table({"text": texts, "label": labels}), tmp / "huge.parquet", compression="zstd")
    assert (tmp / "huge.parquet").stat().st_size < 4096  # far under the 1,000,000-character cell limit on disk
    return Case(tmp / "huge.parquet", r"Row 4 of column 'text' in 'huge\.parquet' holds 20,000,000 characters")


def parquet_unpacks_over_limit(tmp: Path) -> Case:
    """A small zstd Parquet whose pages unpack past the limit is refused before they are decompressed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = [f"order {i} arrived " * 100 for i in range(1000)]
    table = pa.table({"text": texts, "label": ["late", "early"] * 500})
    pq.write_table(table, tmp / "packed.parquet", compression="zstd")
    assert (tmp / "packed.parquet").stat().st_size < 100_000
    return Case(tmp / "packed.parquet", r"'packed\.parquet' unpacks to 1\.\d MB, over the 0\.1 MB limit",
                read={"max_bytes": 100_000})


def excel_merged_text_over_limit(tmp: Path) -> Case:
    """One 1,000-character cell merged down 2,000 rows: a 15 KB workbook holding 2 M characters of text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["text", "label"])
    for i in range(2000):
        ws.append(["x" * 1000 if i == 0 else None, "late" if i % 2 else "early"])
    ws.merge_cells("A2:A2001")
    wb.save(tmp / "merged_big.xlsx")
    assert (tmp / "merged_big.xlsx").stat().st_size < 100_000
    return Case(tmp / "merged_big.xlsx", r"'merged_big\.xlsx' holds 1\.9 M characters of text once decoded, "
                r"over the 1\.0 M limit", read={"max_bytes": 2**20})

def excel_missing_sheet(tmp: Path) -> Case:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "Data"
    wb.save(tmp / "sheets.xlsx")
    return Case(
        tmp / "sheets.xlsx", r"Sheet 'Labels' is not in 'sheets\.xlsx'\. Sheets: Data", config={"sheet": "Labels"}
    )


def old_xls(tmp: Path) -> Case:
    (tmp / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    return Case(tmp / "old.xls", r"old-style \.xls workbook.*save it as \.xlsx")


def not_really_xlsx(tmp: Path) -> Case:
    (tmp / "fake.xlsx").write_text("text,label\nhello,a\n", encoding="utf-8")
    return Case(tmp / "fake.xlsx", r"'fake\.xlsx' is not a readable Excel workbook")


def json_object(tmp: Path) -> Case:
    (tmp / "object.json").write_text(
        json.dumps({"text": [t for t, _ in GOOD_ROWS], "label": [lab for _, lab in GOOD_ROWS]})
    )
    return Case(tmp / "object.json", r"'object\.json' is not a list of records")


def json_list_of_values(tmp: Path) -> Case:
    (tmp / "values.json").write_text(json.dumps([t for t, _ in GOOD_ROWS]))
    return Case(tmp / "values.json", r"is not a list of records")


def json_invalid(tmp: Path) -> Case:
    (tmp / "broken.json").write_text('[{"text": "a", "label": "b"},\n {"text": "c", "label": }]')
    return Case(tmp / "broken.json", r"'broken\.json' is not valid JSON \(line 2")


def jsonl_bad_line(tmp: Path) -> Case:
    lines = [json.dumps({"text": t, "label": lab}) for t, lab in GOOD_ROWS[:2]] + ['{"text": "cut off", "lab']
    (tmp / "bad.jsonl").write_text("\n".join(lines) + "\n")
    return Case(tmp / "bad.jsonl", r"Line 3 of 'bad\.jsonl' is not valid JSON")


def json_nested(tmp: Path) -> Case:
    (tmp / "nested.jsonl").write_text(
        "\n".join(json.dumps({"text": t, "meta": {"label": lab}}) for t, lab in GOOD_ROWS)
    )
    return Case(tmp / "nested.jsonl", r"Column 'meta' of 'nested\.jsonl' holds nested objects")


def json_empty_list(tmp: Path) -> Case:
    (tmp / "none.json").write_text("[]")
    return Case(tmp / "none.json", r"holds an empty list")


def parquet_nested(tmp: Path) -> Case:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"text": [t for t, _ in GOOD_ROWS], "meta": [{"label": lab, "score": 1} for _, lab in GOOD_ROWS]})
    pq.write_table(table, tmp / "nested.parquet")
    return Case(tmp / "nested.parquet", r"has nested columns \(meta\).*Flatten them")


def parquet_corrupt(tmp: Path) -> Case:
    (tmp / "corrupt.parquet").write_bytes(b"PAR1 this is not really parquet")
    return Case(tmp / "corrupt.parquet", r"is not a readable Parquet file")


def a_directory(tmp: Path) -> Case:
    (tmp / "folder.csv").mkdir()
    return Case(tmp / "folder.csv", r"is a folder, not a file\. Pick the data file inside it")


def missing_file(tmp: Path) -> Case:
    return Case(tmp / "nowhere.csv", r"File not found: .*nowhere\.csv")


def nul_bytes(tmp: Path) -> Case:
    (tmp / "nul.csv").write_bytes(b"text,label\nfine,a\nbro\x00ken,b\n" * 5)
    return Case(tmp / "nul.csv", r"contains NUL bytes \(first on line 3, byte 21\).*Export it again as UTF-8 CSV")


def wrong_encoding_override(tmp: Path) -> Case:
    _csv(tmp / "zh.csv", [("质量很好，物流很快", "好"), ("太差了", "差")] * 6)
    return Case(tmp / "zh.csv", r"cannot be decoded as ascii", config={"encoding": "ascii"})


def unknown_encoding(tmp: Path) -> Case:
    _csv(tmp / "enc.csv", GOOD_ROWS)
    return Case(tmp / "enc.csv", r"'klingon' is not a known encoding", config={"encoding": "klingon"})


def validation_other_columns(tmp: Path) -> Case:
    _csv(tmp / "train.csv", GOOD_ROWS)
    _csv(tmp / "val.csv", GOOD_ROWS[:6], header=("sentence", "label"))
    return Case(tmp / "train.csv", r"The validation file lacks column\(s\) text .*\(it has: sentence, label\)",
                config={"validation": str(tmp / "val.csv")})


def validation_unseen_labels(tmp: Path) -> Case:
    _csv(tmp / "train.csv", GOOD_ROWS)
    _csv(tmp / "val.csv", [(t, "on time") for t, _ in GOOD_ROWS[:4]])
    return Case(
        tmp / "train.csv", r"label\(s\) never seen in training: on time", config={"validation": str(tmp / "val.csv")}
    )


def class_with_one_example(tmp: Path) -> Case:
    _csv(tmp / "lonely.csv", GOOD_ROWS + [("a refund request", "refund")])
    return Case(tmp / "lonely.csv", r"Class\(es\) 'refund' \(1\) have fewer than 2 examples")


def class_with_few_examples(tmp: Path) -> Case:
    _csv(tmp / "few.csv", GOOD_ROWS + [(f"refund request {i}", "refund") for i in range(4)])
    return Case(tmp / "few.csv", r"Few training examples for 'refund'", accepted=True)


def mixed_number_labels(tmp: Path) -> Case:
    _csv(tmp / "mixed.csv", [(t, "1" if lab == "late" else "early") for t, lab in GOOD_ROWS])
    return Case(tmp / "mixed.csv", r"Labels mix numbers and words .* treated as class names", accepted=True)


def regression_on_words(tmp: Path) -> Case:
    _csv(tmp / "words.csv", GOOD_ROWS)
    return Case(tmp / "words.csv", r"Regression needs numbers, but 'label' holds none", config={"task": "regression"})


def all_texts_empty(tmp: Path) -> Case:
    _csv(tmp / "notext.csv", [("", lab) for _, lab in GOOD_ROWS], header=("text", "label"))
    return Case(tmp / "notext.csv", r"No usable rows are left", config={"text_column": "text", "label_column": "label"})


def utf16_without_bom(tmp: Path) -> Case:
    text = "text,label\n" + "".join(f"{t},{lab}\n" for t, lab in GOOD_ROWS)
    (tmp / "utf16.csv").write_bytes(text.encode("utf-16-le"))
    return Case(tmp / "utf16.csv", r"utf-16-le", accepted=True)


def xlsx_renamed_csv(tmp: Path) -> Case:
    import pandas as pd

    pd.DataFrame(GOOD_ROWS, columns=["text", "label"]).to_excel(tmp / "book.csv", index=False, engine="openpyxl")
    return Case(tmp / "book.csv", r"excel", accepted=True)


REFUSED: list[Callable[[Path], Case]] = [
    empty_file, blank_lines, header_only, png_renamed, zip_renamed, pdf_renamed, single_column, unbalanced_quote,
    ragged_rows, empty_label_column, single_class, text_equals_label, unknown_text_column, unknown_label_column,
    duplicate_columns, over_size_limit, huge_cell, huge_cell_in_zstd_parquet, parquet_unpacks_over_limit,
    excel_merged_text_over_limit, excel_uncalculated_formulas, excel_missing_sheet, old_xls,
    not_really_xlsx, json_object, json_list_of_values, json_invalid, jsonl_bad_line, json_nested, json_empty_list,
    parquet_nested, parquet_corrupt, a_directory, missing_file, nul_bytes, wrong_encoding_override, unknown_encoding,
    validation_other_columns, validation_unseen_labels, class_with_one_example, regression_on_words, all_texts_empty,
]
ACCEPTED: list[Callable[[Path], Case]] = [
    excel_merged_cells, class_with_few_examples, mixed_number_labels, utf16_without_bom, xlsx_renamed_csv,
]
