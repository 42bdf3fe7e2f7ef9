"""Uploads through the engine: the app and the CLI write, count and refuse an upload with the same function."""
from __future__ import annotations

import io

import pytest

from tuneboard.errors import LimitReached
from tuneboard.runs import RunStore, count_upload, keep_upload
from tuneboard.team import access

ALICE, BOB = access.User("alice@example.com"), access.User("bob@example.com")


def test_the_engine_keeps_an_upload_under_its_name_and_refuses_one_over_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_USER_UPLOAD_MB", "1")
    monkeypatch.setenv("TUNEBOARD_UPLOADS_DIR", str(tmp_path / "up"))
    first = keep_upload(io.BytesIO(b"a" * 600_000), "my tickets.csv", ALICE)
    assert first["name"] == "my tickets.csv" and first["path"].endswith("/my-tickets.csv")
    assert (tmp_path / "up" / first["sha"][:12] / "my-tickets.csv").stat().st_size == 600_000
    assert keep_upload(io.BytesIO(b"a" * 600_000), "again.csv", ALICE)["sha"] == first["sha"]  # counted once
    with pytest.raises(LimitReached, match="would pass your upload limit"):
        keep_upload(io.BytesIO(b"b" * 600_000), "b.csv", ALICE)
    assert not list((tmp_path / "up").rglob("b.csv"))  # refused: removed
    keep_upload(io.BytesIO(b"b" * 600_000), "b.csv", BOB)  # Bob has his own allowance
    assert RunStore().upload_bytes(BOB.id) == 600_000


def test_a_file_already_on_disk_is_counted_against_its_uploader(tmp_path, monkeypatch):
    """What the CLI does with a file a person hands it: count it, or refuse it and leave no copy behind."""
    monkeypatch.setenv("TUNEBOARD_USER_UPLOAD_MB", "1")
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 1_200_000)
    with pytest.raises(LimitReached):
        count_upload(ALICE, big, "f" * 64)
    assert not big.exists()
    monkeypatch.setenv("TUNEBOARD_USER_UPLOAD_MB", "0")  # 0: no limit
    big.write_bytes(b"x" * 1_200_000)
    count_upload(ALICE, big, "f" * 64)
    assert RunStore().upload_bytes(ALICE.id) == 1_200_000
