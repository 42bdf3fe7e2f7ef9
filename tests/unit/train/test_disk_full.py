"""A full disk mid-run ends the run cleanly: status failed with a plain
"Disk full" reason (not the TF-IDF baseline's name), no half-written model, no temp files, and the
run can be deleted afterwards."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import DiskFull
from tuneboard.lifecycle.purge import delete_for_good
from tuneboard.protocol import RunStatus
from tuneboard.runs.folder import list_runs, open_run
from tuneboard.train import loop as trainer
from tuneboard.train.pipeline import execute


def _no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _half_written_model(self, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.safetensors").write_bytes(b"\0" * 128)  # what a cut-off save leaves
    _no_space()


@pytest.mark.parametrize("where", ["model save", "results save"])
def test_a_full_disk_fails_the_run_with_a_plain_reason_and_leaves_nothing_half_written(
        where, sentiment_csv, tiny_model, monkeypatch):
    if where == "model save":
        monkeypatch.setattr(trainer.Trainer, "save", _half_written_model)
    else:
        monkeypatch.setattr("tuneboard.train.pipeline.save_results", _no_space)
    config = TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=1, batch_size=16, max_length=32)
    with pytest.raises(DiskFull, match=r"^Disk full"):
        execute(config)
    (run,) = list_runs()
    status = run.status()
    assert status["status"] == RunStatus.FAILED
    assert status["reason"].startswith("Disk full") and "baseline" not in status["reason"].lower()
    assert not run.model_dir.exists()
    assert not list(run.path.rglob("*.tmp")), "a temp file was left behind"
    removed = delete_for_good(open_run(run.path))
    assert removed and not run.path.exists()




def test_a_full_disk_while_saving_a_tfidf_model_is_the_runs_reason(sentiment_csv, monkeypatch):
    monkeypatch.setattr("skops.io.dump", _no_space)  # the TF-IDF run's model is its baseline
    with pytest.raises(DiskFull, match=r"^Disk full"):
        execute(TrainConfig(data=str(sentiment_csv), model="tfidf"))
    (run,) = list_runs()
    status = run.status()
    assert status["status"] == RunStatus.FAILED and status["reason"].startswith("Disk full")
    assert "could not be fitted" not in status["reason"]
    assert not run.model_dir.exists() and not list(run.path.rglob("*.tmp"))
