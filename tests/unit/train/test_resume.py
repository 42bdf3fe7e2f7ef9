"""Resume: an interrupted run goes on from its last checkpoint and ends as if it had never stopped."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from components.charts import training_curves
from tuneboard.config import TrainConfig
from tuneboard.errors import RunError
from tuneboard.protocol import RunStatus
from tuneboard.runs.folder import list_runs
from tuneboard.train import loop as trainer
from tuneboard.train import pipeline as training
from tuneboard.train.checkpoint import LATEST, check_resumable, checkpoint_dir, has_checkpoint, read_config

ROOT = Path(__file__).resolve().parents[3]
SCORES = ("accuracy", "macro_f1", "eval_loss")  # measured identical to the last bit on CPU; margin for other BLAS


def quick(tiny_model, data, **kw):
    # the batch is pinned (no small-run shrinking): the tests count steps of 16 rows
    base = dict(data=str(data), model=tiny_model, epochs=4, batch_size=16, learning_rate=3e-3,
                freeze_embeddings=False, max_length=32, auto_batch_size=False)
    return TrainConfig(**{**base, **kw})


class Killed(BaseException):
    """Stands for the process dying: not an ``Exception``, so nothing on the way handles it."""


def kill_at_step(monkeypatch, step):
    real, calls = trainer.train_step, [0]

    def dying(model, batch, amp, loss_fn=None):
        calls[0] += 1
        if calls[0] == step:  # once: the resumed run trains on
            raise Killed()
        return real(model, batch, amp, loss_fn)

    monkeypatch.setattr(trainer, "train_step", dying)


def steps_of(run_path):
    return [e["step"] for e in training.RunDir(run_path).history() if e.get("type") == "train"]


def assert_same_outcome(resumed_path, reference_path):
    a = json.loads((Path(resumed_path) / "metrics.json").read_text())
    b = json.loads((Path(reference_path) / "metrics.json").read_text())
    for key in SCORES:
        assert a[key] == pytest.approx(b[key], abs=1e-6), key
    assert a["best_step"] == b["best_step"]
    assert max(steps_of(resumed_path)) == max(steps_of(reference_path))


def stale_heartbeat(run_path) -> None:
    """Age the run's heartbeat past the liveness window: what a killed worker's run looks like a while later."""
    from tuneboard.runs.liveness import HEARTBEAT_FILE, stale_s

    old = time.time() - 10 * stale_s()
    os.utime(Path(run_path) / HEARTBEAT_FILE, (old, old))


def test_a_run_killed_mid_epoch_resumes_to_the_same_steps_and_scores(tiny_model, sentiment_csv, monkeypatch):
    reference = training.execute(quick(tiny_model, sentiment_csv))
    assert not checkpoint_dir(reference.run.path).exists()  # a finished run keeps no checkpoint

    kill_at_step(monkeypatch, 25)  # 10 steps an epoch: killed in the third, after two checkpoints
    with pytest.raises(Killed):
        training.execute(quick(tiny_model, sentiment_csv))
    run = next(r for r in list_runs() if r.path != reference.run.path)
    assert has_checkpoint(run.path) and check_resumable(run)
    # steps are logged at most every half second: a slow machine may also have logged one of 21..24
    assert 20 <= max(steps_of(run.path)) < 25
    run.append_event({"type": "train", "step": 24, "epoch": 2.4, "loss": 9.0})  # logged after the checkpoint

    events = []
    result = training.execute(read_config(run), on_event=events.append, run=run, resume=True)
    assert result.status == RunStatus.COMPLETED and run.status()["status"] == RunStatus.COMPLETED
    assert_same_outcome(run.path, reference.run.path)
    assert any(e.get("message", "").startswith("Resumed from step 20") for e in events)
    assert [e["step"] for e in events if e["type"] == "eval"] == [30, 40]  # the resumed run evaluates twice
    assert not checkpoint_dir(run.path).exists()
    curves = training_curves(run.history())  # the chart drops what the killed process did after step 20
    assert curves["step"] == sorted(set(curves["step"])) and 9.0 not in curves["loss"]
    assert curves["eval_step"] == [10, 20, 30, 40]


def test_a_run_interrupted_before_its_first_checkpoint_restarts_from_the_beginning(tiny_model, sentiment_csv,
                                                                                   monkeypatch):
    kill_at_step(monkeypatch, 5)
    with pytest.raises(Killed):
        training.execute(quick(tiny_model, sentiment_csv, epochs=2))
    run = list_runs()[0]
    assert not has_checkpoint(run.path)
    status = json.loads((run.path / "status.json").read_text())
    run.write_json("status.json", {**status, "status": "running", "pid": 2**22 + 17})  # as kill -9 leaves it
    stale_heartbeat(run.path)
    assert run.status()["status"] == RunStatus.INTERRUPTED and check_resumable(run) is False
    events = []
    result = training.execute(read_config(run), on_event=events.append, run=run, resume=True)
    assert result.status == RunStatus.COMPLETED
    notes = [e["message"] for e in events if e["type"] == "notice"]
    assert any("restarts from the beginning" in n for n in notes)
    assert max(steps_of(run.path)) == 20


def test_a_torn_last_history_line_is_skipped_and_does_not_swallow_the_resume(tiny_model, sentiment_csv, monkeypatch):
    kill_at_step(monkeypatch, 15)
    with pytest.raises(Killed):
        training.execute(quick(tiny_model, sentiment_csv, epochs=2))
    run = list_runs()[0]
    with open(run.path / "history.jsonl", "a", encoding="utf-8") as f:
        f.write('{"type": "train", "step": 99, "lo')  # the kill tore the line being written
    n_before = len(run.history())
    training.execute(read_config(run), run=run, resume=True)
    history = run.history()
    assert len(history) > n_before and all(isinstance(e, dict) for e in history)
    assert any(e.get("message", "").startswith("Resumed from step 10") for e in history)
    assert history[-1] == {**history[-1], "type": "status", "status": "completed"}


def test_an_unreadable_checkpoint_is_kept_and_the_run_resumes_once_the_cause_is_fixed(tiny_model, sentiment_csv,
                                                                                      monkeypatch):
    kill_at_step(monkeypatch, 25)
    with pytest.raises(Killed):
        training.execute(quick(tiny_model, sentiment_csv))
    run = list_runs()[0]
    latest = checkpoint_dir(run.path) / json.loads((checkpoint_dir(run.path) / LATEST).read_text())["dir"]
    weights = latest / "optimizer.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(b"\x80\x04 not what was saved")  # e.g. a disk that was not mounted yet
    with pytest.raises(RunError, match="cannot be read"):
        training.execute(read_config(run), run=run, resume=True)
    assert run.status()["status"] == RunStatus.FAILED and "cannot be read" in run.status()["reason"]
    assert has_checkpoint(run.path) and check_resumable(run)  # kept: a second try is possible

    weights.write_bytes(good)  # the cause fixed
    result = training.execute(read_config(run), run=run, resume=True)
    assert result.status == RunStatus.COMPLETED
    assert any(e.get("message", "").startswith("Resumed from step 20") for e in run.history())


def test_resume_refuses_a_finished_run_and_a_failed_run_without_checkpoint(tiny_model, sentiment_csv):
    done = training.execute(quick(tiny_model, sentiment_csv, epochs=1)).run
    with pytest.raises(RunError, match="already finished"):
        check_resumable(done)
    done.set_status(RunStatus.FAILED, "boom")
    with pytest.raises(RunError, match="kept no checkpoint"):
        check_resumable(done)
    done.set_status(RunStatus.RUNNING)  # this process: alive
    with pytest.raises(RunError, match="still running"):
        check_resumable(done)


def test_a_torn_config_is_a_one_line_error(tiny_model, sentiment_csv):
    run = training.execute(quick(tiny_model, sentiment_csv, epochs=1)).run
    (run.path / "config.json").write_text('{"data": "x.csv", "mod', encoding="utf-8")
    with pytest.raises(RunError, match="config.json") as e:
        read_config(run)
    assert "\n" not in str(e.value)
    r = cli("train", "--resume", run.path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "config.json" in r.stderr


def cli(*args, **popen):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "tuneboard", *map(str, args)]
    if popen:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, text=True, **popen)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, words", [
    (["train", "--resume", "no/such/run"], "not a run folder"),
    (["train"], "DATA file"),
])
def test_cli_resume_errors_are_one_line(args, words):
    r = cli(*args)
    assert r.returncode == 2 and words in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_cli_train_killed_with_sigkill_resumes_at_once_and_matches_an_uninterrupted_run(tiny_model, sentiment_csv,
                                                                                        tmp_path):
    args = ["train", sentiment_csv, "--model", tiny_model, "--epochs", "8", "--batch-size", "16",
            "--learning-rate", "3e-3", "--max-length", "32", "--quiet"]
    reference = training.execute(TrainConfig(data=str(sentiment_csv), model=tiny_model, epochs=8, batch_size=16,
                                             learning_rate=3e-3, max_length=32))  # the same settings as `args`

    runs = tmp_path / "killed"
    proc = cli(*args, "--output", runs, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while not list(runs.glob(f"*/checkpoint/{LATEST}")):  # poll for the first evaluation's checkpoint, then kill
        assert proc.poll() is None and time.monotonic() < deadline, "the run ended before its first checkpoint"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    run_dir = next(runs.iterdir())
    assert json.loads((run_dir / "status.json").read_text())["status"] == "running"  # nothing ran on kill -9
    assert max(steps_of(run_dir)) < 80
    from tuneboard.runs.liveness import last_beat, stale_s

    assert time.time() - last_beat(run_dir) < stale_s() / 2  # well inside the window that made it look alive

    r = cli("train", "--resume", run_dir)  # at once: its heartbeat is fresh, but its process is gone
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == str(run_dir)
    assert json.loads((run_dir / "status.json").read_text())["status"] == "completed"
    assert_same_outcome(run_dir, reference.run.path)
    assert not (run_dir / "checkpoint").exists()
    assert any(e.get("message", "").startswith("Resumed from step") for e in training.RunDir(run_dir).history())

    r = cli("train", "--resume", run_dir)
    assert r.returncode == 2 and "already finished" in r.stderr


def test_registry_resume_checks_the_owner_queues_once_and_keeps_the_history(tiny_model, sentiment_csv, monkeypatch):
    from tuneboard.errors import PermissionDenied
    from tuneboard.team import access
    from tuneboard.train.queue import RunRegistry

    kill_at_step(monkeypatch, 15)
    with pytest.raises(Killed):
        training.execute(quick(tiny_model, sentiment_csv, epochs=2))
    run = list_runs()[0]
    access.record_owner(run.path, "alice@example.com")
    n_before = len(run.history())
    reg = RunRegistry()
    with pytest.raises(PermissionDenied):
        reg.resume(run.run_id, access.User("bob@example.com"))
    live = reg.resume(run.run_id, access.User("alice@example.com"))
    with pytest.raises(RunError, match="still"):  # a second click while it is queued or running
        reg.resume(run.run_id, access.User("alice@example.com"))
    assert reg.wait(run.run_id, 120) == RunStatus.COMPLETED
    events = live.snapshot()["events"]
    assert len(events) > n_before and events[0]["type"] == "status"  # the chart starts from the run's beginning
    assert max(e["step"] for e in events if e["type"] == "train") == 20 and not has_checkpoint(run.path)
