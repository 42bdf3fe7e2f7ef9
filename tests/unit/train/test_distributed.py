"""Data-parallel training: ranks, sharding, the accelerate launch, Stop across processes, a dead rank.

The first tests are pure and fast. The last three start real processes (accelerate launch, 2 gloo ranks on the
CPU, the tiny model): ~10 s of imports each before any training, so they train only a few seconds.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from functools import partial
from pathlib import Path

import pytest

from tuneboard.config import TrainConfig
from tuneboard.errors import ConfigError, RunError
from tuneboard.predict.inference import Predictor
from tuneboard.protocol import RunStatus
from tuneboard.runs.folder import create_run, list_runs
from tuneboard.train import distributed, launch
from tuneboard.train import pipeline as training
from tuneboard.train.queue import RunRegistry

ROOT = Path(__file__).resolve().parents[3]


def config(data, model, **kw) -> TrainConfig:
    base = dict(data=str(data), model=model, epochs=4, batch_size=16, learning_rate=3e-3, freeze_embeddings=False,
                max_length=32)
    return TrainConfig(**{**base, **kw})


def wait_for(predicate, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def train_events(run_path: Path) -> list[dict]:
    try:
        lines = (run_path / "history.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [json.loads(x) for x in lines if x.strip().endswith("}") and '"type": "train"' in x]


# -- pure ------------------------------------------------------------------------------------------
def test_each_rank_takes_its_own_batch_of_every_step_and_the_last_step_is_padded():
    batches = [[i] for i in range(7)]
    taken = {}
    for rank in range(3):
        ctx, queue = distributed.Context(rank=rank, world_size=3), deque(batches)
        taken[rank] = []
        while queue:
            mine, step = ctx.take(queue)
            taken[rank].append((mine, [b[0] for b in step]))
    assert [m for m, _ in taken[0]] == [[0], [3], [6]]
    assert [m for m, _ in taken[1]] == [[1], [4], [6]]  # last step had one real batch: ranks 1 and 2 pad with it
    assert [m for m, _ in taken[2]] == [[2], [5], [6]]
    assert all(len(taken[r]) == 3 for r in range(3))  # lockstep: the same number of steps on every rank
    assert [s for _, s in taken[0]] == [[0, 1, 2], [3, 4, 5], [6]]  # real batches only: progress counts each once


def test_one_process_context_changes_nothing():
    ctx, model = distributed.Context(), object()
    queue = deque([[1, 2], [3]])
    assert ctx.take(queue) == ([1, 2], [[1, 2]]) and list(queue) == [[3]]
    assert ctx.should_stop(False) is False and ctx.should_stop(True) is True
    assert ctx.agree_min(7) == 7 and ctx.wrap(model, None) is model and not ctx.active
    assert distributed.current().world_size == 1 and not distributed.launched()


def test_launch_command_is_accelerate_with_one_rank_per_process(tmp_path):
    cmd = launch.launch_command(tmp_path, 4, port=29999)
    assert cmd[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    assert "--multi_gpu" in cmd and cmd[cmd.index("--num_processes") + 1] == "4"
    assert cmd[cmd.index("--main_process_port") + 1] == "29999"
    assert cmd[-6:] == ["-m", "tuneboard", "train", "--quiet", "--run-dir", str(tmp_path)]
    assert launch.launch_command(tmp_path, 2, resume=True)[-2:] == ["--resume", str(tmp_path)]


def test_the_queue_launches_one_process_per_gpu_only_on_a_multi_gpu_machine(monkeypatch, tiny_model):
    cfg = config("x.csv", tiny_model)
    monkeypatch.setattr(launch, "gpu_count", lambda: 1)
    assert launch.executor_for(cfg) is training.execute
    monkeypatch.setattr(launch, "gpu_count", lambda: 4)
    chosen = launch.executor_for(cfg)
    assert chosen.func is launch.execute_launched and chosen.keywords == {"processes": 4}
    assert launch.executor_for(config("x.csv", tiny_model, device="cpu")) is training.execute
    with pytest.raises(ConfigError, match="has 4 GPUs"):
        launch.check_processes(5, "auto")
    launch.check_processes(5, "cpu")  # CPU ranks: as many as asked


def test_history_follower_waits_for_a_torn_line(tmp_path):
    path, seen = tmp_path / "history.jsonl", []
    follower = launch.HistoryFollower(path, seen.append)
    follower.poll()  # no file yet
    path.write_text('{"type": "start"}\n{"type": "tr', encoding="utf-8")
    follower.poll()
    assert seen == [{"type": "start"}]
    with open(path, "a", encoding="utf-8") as f:
        f.write('ain"}\n')
    follower.poll()
    assert seen == [{"type": "start"}, {"type": "train"}]


def test_a_run_its_processes_left_unfinished_fails_with_the_error_a_rank_printed(tiny_model, sentiment_csv):
    run = create_run(config(sentiment_csv, tiny_model))
    run.set_status(RunStatus.RUNNING)
    (run.path / launch.LAUNCH_LOG).write_text("W1201 noise\nerror: Out of memory on CUDA with 64 rows per process."
                                              "\nTraceback (most recent call last):\n", encoding="utf-8")
    seen = []
    with pytest.raises(RunError, match="^Out of memory on CUDA with 64 rows per process.$"):
        launch._outcome(run, 1, launch.HistoryFollower(run.path / "history.jsonl", seen.append))
    assert run.status()["status"] == RunStatus.FAILED and seen[-1]["status"] == "failed"


def test_a_stop_file_stops_a_run_after_its_current_step(tiny_model, sentiment_csv, monkeypatch):
    monkeypatch.setenv("TUNEBOARD_HEARTBEAT_S", "0.05")
    holder = {}

    def on_event(e):
        if e["type"] == "train" and "asked" not in holder:
            holder["asked"] = True
            distributed.request_stop(list_runs()[0].path)

    result = training.execute(config(sentiment_csv, tiny_model, epochs=100), on_event=on_event)
    assert holder and result.status == RunStatus.STOPPED
    assert (result.run.model_dir / "model.safetensors").is_file()  # the best model so far is kept


# -- real processes --------------------------------------------------------------------------------
def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tuneboard", "train", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TUNEBOARD_DIST_TIMEOUT_S": "60",
            "TUNEBOARD_HEARTBEAT_S": "0.2"}


def test_two_processes_write_one_complete_run_that_matches_one_process(tiny_model, sentiment_csv, _private_runs_dir):
    # 2 ranks x 8 rows = the 16 rows per step of the one-process run: the same schedule, other batches
    done = subprocess.run(cli(str(sentiment_csv), "--model", tiny_model, "--epochs", "6", "--batch-size", "8",
                              "--learning-rate", "3e-3", "--max-length", "32", "--processes", "2"),
                          capture_output=True, text=True, timeout=240, env=env(), cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    path = Path(done.stdout.strip().splitlines()[-1])  # the run folder, printed last as by a one-process run
    assert "Data parallel: 2 processes (gloo)" in done.stdout and "completed: macro_f1" in done.stdout
    assert {"config.json", "status.json", "history.jsonl", "metrics.json", "predictions.parquet", "model"} <= {
        p.name for p in path.iterdir()}
    assert len(list_runs()) == 1  # one run folder: rank 1 wrote nothing
    history = [json.loads(x) for x in (path / "history.jsonl").read_text().splitlines()]
    kinds = [e["type"] for e in history]
    assert kinds.count("start") == 1 and kinds.count("eval") == 6 and history[-1]["status"] == "completed"
    train = [e for e in history if e["type"] == "train"]
    assert train[-1]["progress"] == pytest.approx(1.0) and train[-1]["step"] == 6 * 10  # 160 rows / 16 a step

    one = training.execute(config(sentiment_csv, tiny_model, epochs=6, batch_size=16)).metrics
    two = json.loads((path / "metrics.json").read_text())
    assert two["n_val"] == one["n_val"] and two["macro_f1"] >= 0.8
    assert abs(two["accuracy"] - one["accuracy"]) <= 0.1  # measured: 1.000 and 1.000
    out = Predictor.load(path).predict(["great love happy wonderful", "awful hate terrible broken"])
    assert [r["label"] for r in out] == ["positive", "negative"]


def test_stop_from_the_queue_stops_every_process_and_keeps_the_best_model(tiny_model, sentiment_csv, monkeypatch):
    for k, v in env().items():
        monkeypatch.setenv(k, v)
    reg = RunRegistry(executor=partial(launch.execute_launched, processes=2))  # what a 2-GPU server does
    live = reg.submit(config(sentiment_csv, tiny_model, epochs=100, batch_size=8,
                            early_stopping_patience=0))  # long enough for Stop to land: no early stopping
    wait_for(lambda: any(e["type"] == "eval" for e in live.snapshot()["events"]), 120)  # the live panel's events
    assert reg.stop(live.run_id)
    assert reg.wait(live.run_id, 60) == RunStatus.STOPPED
    assert (live.run.model_dir / "model.safetensors").is_file() and live.run.metrics()["n_val"] == 40
    wait_for(lambda: not (live.run.path / distributed.STOP_FILE).exists(), 60)  # removed once the processes end
    evals = [e for e in live.snapshot()["events"] if e["type"] == "eval"]
    assert 1 <= len(evals) < 100


def test_a_killed_worker_fails_the_run_with_a_plain_message_not_a_hang(tiny_model, sentiment_csv, _private_runs_dir):
    import psutil

    proc = subprocess.Popen(cli(str(sentiment_csv), "--model", tiny_model, "--epochs", "100", "--batch-size", "8",
                                "--max-length", "32", "--processes", "2", "--early-stopping-patience", "0"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT)
    try:
        wait_for(lambda: list_runs() and train_events(list_runs()[0].path), 120)
        ranks = [p for p in psutil.Process(proc.pid).children(recursive=True)
                 if p.environ().get("RANK") == "1" and "tuneboard" in " ".join(p.cmdline())]
        assert len(ranks) == 1
        t0 = time.time()
        os.kill(ranks[0].pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert time.time() - t0 < 60 and proc.returncode == 2
    assert err.strip().splitlines()[-1].startswith("error: ") and "Traceback" not in err
    status = list_runs()[0].status()
    assert status["status"] == RunStatus.FAILED and "Traceback" not in status["reason"]
    assert status["reason"] in err and len(status["reason"].splitlines()) == 1


def test_the_training_processes_end_when_the_process_that_started_them_is_killed(tiny_model, sentiment_csv,
                                                                                  _private_runs_dir):
    """kill -9 of a server (here: the CLI that launched the ranks) leaves no training running without it, and the
    run reads as interrupted at once, ready to resume."""
    import psutil

    proc = subprocess.Popen(cli(str(sentiment_csv), "--model", tiny_model, "--epochs", "100", "--batch-size", "8",
                                "--max-length", "32", "--processes", "2", "--early-stopping-patience", "0"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(), cwd=ROOT)
    started: list = []
    try:
        wait_for(lambda: list_runs() and train_events(list_runs()[0].path), 120)
        started = psutil.Process(proc.pid).children(recursive=True)  # the launcher and both ranks
        assert len(started) >= 3
        proc.kill()
        proc.wait(30)
        gone, alive = psutil.wait_procs(started, timeout=30)
        assert alive == [], f"still running after their parent was killed: {[p.cmdline()[-4:] for p in alive]}"
        assert list_runs()[0].status()["status"] == RunStatus.INTERRUPTED
    finally:
        for p in [proc, *started]:
            try:
                p.kill()
            except (ProcessLookupError, psutil.NoSuchProcess):
                pass
