"""``python -m tuneboard label suggest``: the rows to label next, as lines or JSON, never a labeled row."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import sentiment_rows
from tuneboard.cli.main import main


def _partly_labeled(tmp_path: Path, labeled: int) -> Path:
    path = tmp_path / "reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["review", "sentiment"])
        for i, (text, label) in enumerate(sentiment_rows(80)):
            w.writerow([f"{text} n{i}", label if i < labeled else ""])
    return path


@pytest.mark.parametrize("strategy", ["uncertain", "diverse", "random"])
def test_suggest_prints_one_json_object_per_line_for_unlabeled_rows_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], strategy: str) -> None:
    table = _partly_labeled(tmp_path, 50)
    assert main(["label", "suggest", str(table), "--text-column", "review", "--label-column", "sentiment",
                 "--n", "7", "--strategy", strategy, "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    objects = [json.loads(line) for line in lines]
    assert len(objects) == 7
    for o in objects:
        assert list(o) == ["row", "guess", "confidence"]
        assert isinstance(o["row"], int) and 50 <= o["row"] < 80
        assert o["guess"] in ("positive", "negative") and 0 <= o["confidence"] <= 1
    assert len({o["row"] for o in objects}) == 7


def test_suggest_without_labels_lists_rows_with_no_guess(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _partly_labeled(tmp_path, 0)
    assert main(["label", "suggest", str(table), "--text-column", "review", "--n", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["row", "guess", "confidence", "text"]
    assert len(lines) == 4 and all(line.split("\t")[1:3] == ["-", "-"] for line in lines[1:])


@pytest.mark.parametrize(("args", "message"), [
    (["--text-column", "body"], 'No column "body" in the table. Its columns are: review, sentiment.'),
    (["--text-column", "review", "--label-column", "tag"], 'No column "tag"'),
    (["--text-column", "review", "--n", "0"], "--n is 0"),
])
def test_suggest_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                                     message: str) -> None:
    table = _partly_labeled(tmp_path, 10)
    assert main(["label", "suggest", str(table), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_suggest_on_a_missing_file_or_a_fully_labeled_table(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["label", "suggest", str(tmp_path / "none.csv"), "--text-column", "review"]) == 2
    assert "none.csv" in capsys.readouterr().err
    table = _partly_labeled(tmp_path, 80)
    assert main(["label", "suggest", str(table), "--text-column", "review", "--label-column", "sentiment"]) == 0
    assert capsys.readouterr().out.strip() == "All 80 rows are labeled: there is nothing left to suggest."
