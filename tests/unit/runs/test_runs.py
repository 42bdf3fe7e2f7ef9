
import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import RunError
from tuneboard.runs.folder import create_run, delete_run, list_runs, open_run
from tuneboard.runs.liveness import beat


def test_run_folder_lifecycle(tmp_path):
    run = create_run(TrainConfig(data="d.csv", run_name="My run!"))
    assert run.status()["status"] == "queued"
    assert "my-run" in run.run_id
    run.set_status("running")
    beat(run.path)  # the worker's heartbeat: this run is being trained
    run.append_event({"type": "train", "step": 1, "loss": 1.0})
    with open(run.path / "history.jsonl", "a") as f:
        f.write('{"type": "train", "ste')  # a torn line being written right now
    assert [e["step"] for e in run.history()] == [1]
    assert open_run(run.run_id).path == run.path
    assert list_runs()[0].run_id == run.run_id
    with pytest.raises(RunError, match="still active"):
        delete_run(run)
    run.set_status("completed")
    st = run.status()
    assert st["ended_at"] >= st["started_at"]
    delete_run(run)
    assert list_runs() == []


def test_running_status_of_a_dead_process_reads_as_interrupted():
    run = create_run(TrainConfig(data="d.csv"))
    run.set_status("running")
    run.write_json("status.json", {**run.status(), "pid": 2**22 + 12345})
    assert run.status()["status"] == "interrupted"


def test_open_run_rejects_non_run_folders(tmp_path):
    with pytest.raises(RunError, match="not a run folder"):
        open_run(tmp_path)
