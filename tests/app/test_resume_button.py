"""The Resume button: an interrupted run goes on from its checkpoint from the Train page."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import nav
from components.state import registry
from tests.conftest import sentiment_rows
from tuneboard.config import TrainConfig
from tuneboard.runs.folder import list_runs
from tuneboard.runs.liveness import HEARTBEAT_FILE, stale_s
from tuneboard.train import loop as trainer
from tuneboard.train.checkpoint import has_checkpoint
from tuneboard.train.pipeline import execute

ROOT = Path(__file__).resolve().parents[2]


class Killed(BaseException):
    """Stands for the server process dying mid-run."""


def interrupted_run(tiny_model, tmp_path, monkeypatch):
    """A run killed in its second epoch, left as kill -9 leaves it: 'running' with a dead process."""
    data = tmp_path / "reviews.csv"
    data.write_text("review,sentiment\n" + "\n".join(f"{t},{label}" for t, label in sentiment_rows()))
    real, calls = trainer.train_step, [0]

    def dying(model, batch, amp, loss_fn=None):
        calls[0] += 1
        if calls[0] == 15:
            raise Killed()
        return real(model, batch, amp, loss_fn)

    monkeypatch.setattr(trainer, "train_step", dying)
    with pytest.raises(Killed):
        execute(TrainConfig(data=str(data), model=tiny_model, epochs=3, batch_size=16, learning_rate=3e-3,
                            max_length=32, auto_batch_size=False))  # pinned: the kill comes at a counted step
    run = list_runs()[0]
    status = json.loads((run.path / "status.json").read_text())
    run.write_json("status.json", {**status, "status": "running", "pid": 2**22 + 17, "reason": None})
    old = time.time() - 10 * stale_s()  # the killed worker's heartbeat, a while later
    os.utime(run.path / HEARTBEAT_FILE, (old, old))
    assert run.status()["status"] == "interrupted" and has_checkpoint(run.path)
    return run


def test_resume_button_finishes_an_interrupted_run(tiny_model, tmp_path, monkeypatch):
    run = interrupted_run(tiny_model, tmp_path, monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["run"] = run.run_id
    at.run()
    at.switch_page(nav.PAGES[nav.TRAIN].file).run()
    assert not at.exception, at.exception
    at.button(key="train_resume").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert registry().wait(run.run_id, 60) == "completed"
    assert run.status()["status"] == "completed" and not has_checkpoint(run.path)
    history = run.history()
    assert any(e.get("message", "").startswith("Resumed from step 10") for e in history)
    assert max(e["step"] for e in history if e["type"] == "train") == 30
    at.run()
    assert not any(b.key == "train_resume" for b in at.button)
