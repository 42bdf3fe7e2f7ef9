"""Whole-process benchmark: ``python -m tuneboard train`` as a user runs it, beside the
Hugging Face Trainer's ``train()`` alone (plain and tuned), with the phase profile of Tuneboard's run.

Run through ``bench_train.py --grid small|full``. Tuneboard runs in a subprocess: wall clock from
before the launch to its exit, CPU seconds from ``resource.getrusage(RUSAGE_CHILDREN)`` (what
/usr/bin/time reports). The phases come from the run's history.jsonl (``phase`` events and the
timestamps of the others).
"""
from __future__ import annotations

import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("start-up", "data", "tokenize", "model load", "steps", "evaluation", "baseline wait", "saving",
          "exit", "other")


def make_sentences(n: int, seed: int, path: Path) -> Path:
    """``n`` short English review sentences (~23 tokens), positive/negative (SST-2-like), from the demo
    generator's review phrases; the label follows a latent score with noise, so accuracy stays < 1."""
    import importlib.util

    import pandas as pd

    spec = importlib.util.spec_from_file_location("make_demo", ROOT / "examples" / "make_demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)  # type: ignore[union-attr]
    rng, rows = random.Random(seed), []
    for _ in range(n):
        s = rng.uniform(1.0, 5.0)
        slot = {"p": rng.choice(demo.REVIEW_PRODUCTS), "w": str(rng.randint(2, 12)), "rel": "sister"}
        parts = [rng.choice(demo.REVIEW_VERDICTS[min(5, max(1, round(s)))]).format(**slot)]
        p_pos = 1.0 / (1.0 + math.exp(-2.2 * (s - 3.0)))
        for aspect in rng.sample(sorted(demo.REVIEW_ASPECTS), 2):
            pos, neg = demo.REVIEW_ASPECTS[aspect]
            parts.append(rng.choice(pos if rng.random() < p_pos else neg))
        text = demo.add_noise(" ".join(parts), rng, lower=0.06, typos=0.08, bang=0.1, sloppy=0.08)
        rows.append((text, "positive" if s + rng.gauss(0, 0.4) >= 3.0 else "negative"))
    pd.DataFrame(rows, columns=["sentence", "label"]).to_csv(path, index=False)
    return path


def tuneboard_process(train: Path, val: Path, epochs: int, preset: str, runs: Path, precision: str = "auto") -> dict:
    """One ``python -m tuneboard train`` subprocess: wall, CPU, accuracy and the phase profile."""
    env = {**os.environ, "TUNEBOARD_RUNS_DIR": str(runs), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "tuneboard", "train", str(train), "--validation", str(val),
           "--epochs", str(epochs), "--preset", preset, "--precision", precision, "--quiet"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    launched, t0 = time.time(), time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    wall, ended = time.perf_counter() - t0, time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run = Path(out.stdout.strip().splitlines()[-1])
    metrics = json.loads((run / "metrics.json").read_text())
    return {"wall_s": wall, "cpu_s": cpu, "accuracy": metrics["accuracy"], "macro_f1": metrics["macro_f1"],
            "baseline_accuracy": (metrics.get("baseline") or {}).get("accuracy"),
            "phases": phases(run, metrics, launched, ended), "run": str(run)}


def phases(run: Path, metrics: dict, launched: float, ended: float) -> dict[str, float]:
    """Seconds per phase of one run, from its history (they add up to the process's wall time)."""
    events = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines() if line.strip()]
    timed = [e for e in events if e["type"] == "phase"]

    def total(name: str) -> float:
        return sum(e["seconds"] for e in timed if e["name"] == name)

    start = next(e for e in events if e["type"] == "start")
    tokenized = next(e for e in timed if e["name"] == "tokenize")
    out = {"start-up": events[0]["time"] - launched - total("data"), "data": total("data"),
           "tokenize": total("tokenize"), "model load": start["time"] - tokenized["time"],
           "steps": metrics["train_runtime_s"], "evaluation": total("evaluation"),
           "baseline wait": total("baseline_wait"), "saving": total("saving"), "exit": ended - events[-1]["time"]}
    out["other"] = (ended - launched) - sum(out.values())  # step logging, checkpoints, status writes
    return out


def run_grid(grid: list[tuple[int, int, int]], systems: list[str], preset: str, json_path: str | None,
             hf_trainer) -> int:
    """Every cell of ``grid``: Tuneboard's whole process, then the Trainers' ``train()`` alone."""
    import torch

    from tuneboard.config import TrainConfig
    from tuneboard.data.prepare import prepare_data
    from tuneboard.model.catalog import resolve_model

    work = Path(tempfile.mkdtemp(prefix="tuneboard-whole-"))
    model_dir = resolve_model("default").location
    print(f"# whole process vs train() alone; CPU, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    cells = []
    for n, n_val, epochs in grid:
        train = make_sentences(n, 1, work / f"train_{n}.csv")
        val = make_sentences(n_val, 2, work / f"val_{n}_{n_val}.csv")
        cell: dict = {"n_train": n, "n_val": n_val, "epochs": epochs, "load_before": os.getloadavg()[0]}
        for name, precision in (("tuneboard", "auto"), ("tuneboard-fp32", "fp32")):
            if name in systems:
                cell[name] = tuneboard_process(train, val, epochs, preset, work / "runs", precision)
        if "app" in systems:
            from app_whole import app_process

            cell["app"] = app_process(train, val, epochs, preset)
        prep = prepare_data(TrainConfig(data=str(train), validation=str(val), epochs=epochs))
        for name, tuned, bf16 in (("tuned", True, False), ("tuned-bf16", True, True), ("baseline", False, False)):
            if name in systems:
                cell[name] = hf_trainer(model_dir, prep, epochs, tuned=tuned, gpu=False, bf16=bf16)
        cell["load_after"] = os.getloadavg()[0]
        show_cell(cell)
        cells.append(cell)
    if json_path:
        Path(json_path).write_text(json.dumps({"preset": preset, "cells": cells}, indent=2))
    return 0


def show_cell(cell: dict) -> None:
    print(f"\n## {cell['n_train']} train / {cell['n_val']} validation rows x {cell['epochs']} epochs "
          f"(load {cell['load_before']:.1f} -> {cell['load_after']:.1f})")
    trainers = [name for name in ("baseline", "tuned", "tuned-bf16") if name in cell]
    for name in trainers:
        r = cell[name]
        print(f"{name:<14} train() alone   wall {r['wall_s']:7.1f} s  CPU {r['cpu_s']:7.1f} s  "
              f"acc {r['accuracy']:.3f}")
    for system in ("tuneboard", "tuneboard-fp32", "app"):
        tb = cell.get(system)
        if not tb:
            continue
        if system == "app":
            print(f"{'app':<14} Start->finished wall {tb['wall_s']:6.1f} s  server CPU {tb['cpu_s']:6.1f} s  "
                  f"acc {tb['accuracy']:.3f}  first live point {tb['first_point_s']:.1f} s after Start")
        else:
            print(f"{system:<14} whole process  wall {tb['wall_s']:7.1f} s  CPU {tb['cpu_s']:7.1f} s  "
                  f"acc {tb['accuracy']:.3f}  (TF-IDF baseline {tb['baseline_accuracy']})")
            shares = "  ".join(f"{k} {v:.1f}s ({100 * v / tb['wall_s']:.0f}%)" for k, v in tb["phases"].items())
            print(f"  phases: {shares}")
        for name in trainers:
            r = cell[name]
            print(f"  {system} vs {name} train(): wall x{r['wall_s'] / tb['wall_s']:.2f}, "
                  f"CPU x{r['cpu_s'] / tb['cpu_s']:.2f}, accuracy {100 * (tb['accuracy'] - r['accuracy']):+.1f} pt")
