"""Every bad input ends in one actionable line (API and CLI); awkward-but-usable input is accepted with a note."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures_bad import (
    ACCEPTED,
    REFUSED,
    Case,
    a_directory,
    empty_file,
    png_renamed,
    unbalanced_quote,
    unknown_text_column,
)
from tuneboard import errors
from tuneboard.config import TrainConfig
from tuneboard.data.prepare import prepare_data
from tuneboard.data.readers import read_table
from tuneboard.errors import DataError, TuneboardError

ROOT = Path(__file__).resolve().parents[3]


def _load(case: Case) -> list[str]:
    """Load the case as the engine would; returns the notes (for accepted cases)."""
    if case.read is not None:
        _, info = read_table(case.path, **case.read)
        return info.notes
    prepared = prepare_data(TrainConfig(data=str(case.path), **case.config))
    info = prepared.info
    return (
        prepared.notes
        + prepared.warnings
        + (info.notes if info else [])
        + ([info.encoding or "", info.format] if info else [])
    )


def test_there_are_at_least_30_refused_cases() -> None:
    assert len(REFUSED) >= 30


@pytest.mark.parametrize("build", REFUSED, ids=lambda f: f.__name__)
def test_refused_with_one_actionable_line(build, tmp_path: Path) -> None:
    case = build(tmp_path)
    with pytest.raises(TuneboardError) as caught:
        _load(case)
    message = str(caught.value)
    assert type(caught.value).__name__ == case.error
    assert "\n" not in message and message.endswith("."), message
    assert len(message) < 320, message
    assert re.search(case.message, message), message


@pytest.mark.parametrize("build", ACCEPTED, ids=lambda f: f.__name__)
def test_accepted_with_a_note(build, tmp_path: Path) -> None:
    import re

    case = build(tmp_path)
    notes = _load(case)
    assert any(re.search(case.message, n) for n in notes), notes


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.csv"
    path.write_text("text,label\na,b\n")
    if os.geteuid() != 0:
        path.chmod(0)
        try:
            with pytest.raises(DataError, match="permission denied. Check the file's permissions."):
                read_table(path)
        finally:
            path.chmod(0o644)
    # root reads anything, so simulate what the OS says to everyone else
    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(DataError, match=r"'locked.csv' cannot be read: permission denied"):
        read_table(path)


def test_error_family_is_used() -> None:
    assert issubclass(errors.DataError, errors.TuneboardError)


@pytest.mark.parametrize("build", [empty_file, png_renamed, unbalanced_quote, a_directory, unknown_text_column],
                         ids=lambda f: f.__name__)
def test_cli_exits_2_with_one_line(build, tmp_path: Path) -> None:
    case = build(tmp_path)
    runs = tmp_path / "runs-cli"
    args = [sys.executable, "-m", "tuneboard", "inspect", str(case.path)]
    if case.config.get("text_column"):
        args += ["--text-column", case.config["text_column"]]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TUNEBOARD_RUNS_DIR=str(runs))
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not runs.exists() or not any(runs.iterdir())
