"""App tests drive the real pages with ``streamlit.testing.v1.AppTest`` and the tiny model."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _private_uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("TUNEBOARD_UPLOADS_DIR", str(folder))
    return folder
