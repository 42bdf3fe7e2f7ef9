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


@pytest.fixture(autouse=True)
def _models_dir_holds_the_tiny_model(tiny_model: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The app's model box accepts only folders under the models folder: the tests'
    tiny model lives in the session's temp folder, so that folder is the models folder here."""
    folder = Path(tiny_model).parent
    monkeypatch.setenv("TUNEBOARD_MODELS_DIR", str(folder))
    return folder
