"""Team mode: the Train page offers the model import to admins only (the engine refuses anyone else too:
tests/unit/model/test_modelimport.py)."""
from __future__ import annotations

import pytest

from components import nav
from tests.app.test_team_login import ALICE, BOB, app


@pytest.fixture(autouse=True)
def _team(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEBOARD_TEAM", "1")
    monkeypatch.setenv("TUNEBOARD_ADMINS", ALICE["email"])


def train_buttons(user: dict) -> list[str]:
    at = app(user, run_id="")
    at.switch_page(nav.PAGES[nav.TRAIN].file).run()
    assert not at.exception, at.exception
    return [b.key for b in at.button]


def test_only_an_admin_is_offered_the_model_import() -> None:
    assert "model_import_go" in train_buttons(ALICE)
    assert "model_import_go" not in train_buttons(BOB)
