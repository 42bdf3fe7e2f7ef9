"""The per-person upload limit: an upload is counted against its uploader, and one that would
pass the limit is refused with one line (and its file removed)."""
from __future__ import annotations

import pytest

from components import uploads
from tuneboard.errors import LimitReached
from tuneboard.runs.store import RunStore
from tuneboard.team import access

ALICE, BOB = access.User("alice@example.com"), access.User("bob@example.com")


def saved(tmp_path, name: str, size: int) -> dict:
    path = tmp_path / name
    path.write_bytes(name.encode() * (size // len(name)))
    return {"path": str(path), "name": name, "sha": name * 4}


def test_an_upload_over_the_uploaders_allowance_is_refused_and_removed(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_USER_UPLOAD_MB", "1")
    first = saved(tmp_path, "a.csv", 600_000)
    uploads._count_against(ALICE, first)
    again = dict(first)
    uploads._count_against(ALICE, again)  # the same bytes again: counted once, accepted
    second = saved(tmp_path, "b.csv", 600_000)
    with pytest.raises(LimitReached, match="would pass your upload limit"):
        uploads._count_against(ALICE, second)
    assert not (tmp_path / "b.csv").exists()
    third = saved(tmp_path, "c.csv", 600_000)
    uploads._count_against(BOB, third)  # Bob has his own allowance
    assert RunStore().upload_bytes(BOB.id) == (tmp_path / "c.csv").stat().st_size
