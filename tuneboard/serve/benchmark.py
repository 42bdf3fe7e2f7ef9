"""A model's footprint on this machine: the bytes of its weights in one format, and how fast it answers.

One measurement for every page that compares models: Deploy (PyTorch against its ONNX exports,
``evaluate.compare_formats``) and Make it smaller (teacher against student, ``train.distillation.compare``).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from tuneboard.paths import ModelFiles
from tuneboard.runs.folder import RunDir

WEIGHTS = ("*.safetensors", "*.bin", "*.joblib")  # PyTorch's (and the TF-IDF baseline's) weight files


def format_bytes(run: RunDir, fmt: str) -> int:
    """Bytes on disk of a run's model in ``fmt``: "torch" (or "tfidf") its weight files, else the ONNX file of
    that export (``serve.onnx.onnx_folder``; it must exist)."""
    if fmt in ("torch", "tfidf"):
        files = [p for pattern in WEIGHTS for p in run.model_dir.glob(pattern)]
    else:
        from tuneboard.serve.onnx import onnx_folder

        files = [onnx_folder(run, fmt) / ModelFiles.ONNX]
    return sum(p.stat().st_size for p in files if p.is_file())


def measure(predictors: list[Any], texts: list[str], pairs: list[str] | None, single: int,
            rounds: int) -> list[tuple[float, float, np.ndarray]]:
    """(one-text p50 ms, rows/s over ``texts``, the scores) per predictor. The calls are interleaved,
    model by model, so a busy machine slows every model alike and the ratios stay fair."""
    for predictor in predictors:  # warm-up: first calls allocate and pick kernels
        for j in range(min(3, len(texts))):
            predictor.scores(texts[j:j + 1], pairs[j:j + 1] if pairs else None)
    times: list[list[float]] = [[] for _ in predictors]
    for i in range(single):
        j = i % len(texts)
        for k, predictor in enumerate(predictors):
            start = time.perf_counter()
            predictor.scores(texts[j:j + 1], pairs[j:j + 1] if pairs else None)
            times[k].append(time.perf_counter() - start)
    best, scores = [0.0] * len(predictors), [np.zeros(0)] * len(predictors)
    for _ in range(rounds):  # the best of a few passes over every row: the least disturbed one
        for k, predictor in enumerate(predictors):
            start = time.perf_counter()
            scores[k] = predictor.scores(texts, pairs)
            best[k] = max(best[k], len(texts) / (time.perf_counter() - start))
    return [(float(np.median(t) * 1000), r, s) for t, r, s in zip(times, best, scores, strict=True)]
