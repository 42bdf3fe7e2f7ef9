"""``python -m tuneboard label export|import``: labels leave and come back with where they came from."""
from __future__ import annotations

import pandas as pd

from tuneboard.cli.main import main
from tuneboard.labeling import LabelStore, table_sha
from tuneboard.team import LOCAL


def test_label_export_then_import_into_another_copy_keeps_the_provenance(tmp_path, capsys):
    table = tmp_path / "tickets.csv"
    table.write_text("text\nmy parcel is late\nI want my money back\n=1+2 please\n", encoding="utf-8")
    store = LabelStore.open(table_sha(table))
    store.record(0, "delivery", user=LOCAL, source="person", note="obvious")
    store.record(1, "refund", user=LOCAL, source="llm")
    store.record(2, "-spam", user=LOCAL, source="person")
    out = tmp_path / "labels.csv"
    assert main(["label", "export", str(table), "--output", str(out), "--text-column", "text"]) == 0
    exported = pd.read_csv(out, dtype=str)
    assert exported["label_source"].tolist() == ["person", "llm", "person"]
    assert exported["text"].tolist()[2].startswith("'=")  # a spreadsheet would have run it
    other = tmp_path / "copy.csv"
    other.write_text("text\nmy parcel is late\nI want my money back\n=cmd\nanother\n", encoding="utf-8")
    assert main(["label", "import", str(other), str(out)]) == 0
    assert "3" in capsys.readouterr().out
    again = LabelStore.open(table_sha(other))
    assert again.current() == {0: "delivery", 1: "refund", 2: "-spam"}
    assert [e.source for e in again.events()] == ["imported"] * 3
    assert "llm" in again.events(row=1)[0].note and "obvious" not in again.events(row=0)[0].note


def test_label_import_of_a_file_without_a_row_column_says_so_in_one_line(tmp_path, capsys):
    table, bad = tmp_path / "t.csv", tmp_path / "bad.csv"
    table.write_text("text\na\n", encoding="utf-8")
    bad.write_text("text,label\na,x\n", encoding="utf-8")
    assert main(["label", "import", str(table), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "row" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
