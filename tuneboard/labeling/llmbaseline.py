"""The LLM as a baseline beside a fine-tuned run: it labels the run's validation rows (within the budget, no
examples: what a team gets by just asking), and the run folder keeps ``llm_baseline.json`` with its accuracy,
latency per text and cost per 1,000 texts beside the run's model on the same rows, and how often the two agree.

The file holds the settings without any key (``LLMSettings`` has none) and the host the rows went to.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from tuneboard.classnames import ClassName
from tuneboard.errors import ConfigError, RunError
from tuneboard.files import read_json
from tuneboard.i18n import t
from tuneboard.labeling.llm import OK, UNPARSED, LLMLabeler, LLMSettings, require_llm
from tuneboard.labeling.llmrun import summarize
from tuneboard.team.access import User, check

LLM_BASELINE_FILE = "llm_baseline.json"
TIMED_TEXTS = 20  # one-text predictions timed for the model's latency (after one warm-up)


def read_llm_baseline(run_path: str | Path) -> dict[str, Any] | None:
    """The stored LLM baseline of a run, or ``None``."""
    path = Path(run_path) / LLM_BASELINE_FILE
    try:
        data = read_json(path) if path.is_file() else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def measure_llm_baseline(run_path: str | Path, settings: LLMSettings, user: User, **labeler: Any) -> dict[str, Any]:
    """Label the run's validation rows with the LLM, compare with the labels and with the run's model, time
    the model on the same texts, and write ``llm_baseline.json``. Only for single-label runs. ``labeler``: extra
    ``LLMLabeler`` arguments (the app's ``secrets``, a ``sleep`` for tests)."""
    from tuneboard.runs import PREDICTIONS_FILE, open_run

    require_llm(user, labeler.get("secrets"))
    run = open_run(run_path)
    check(user, "view_texts", run.path)  # the texts leave the machine
    check(user, "export", run.path)  # and a file is written into the run
    metrics = run.metrics() or {}
    if metrics.get("task") != "single_label" or not (run.path / PREDICTIONS_FILE).is_file():
        raise RunError(t("llm.err.baseline_task"))
    import pandas as pd

    frame = pd.read_parquet(run.path / PREDICTIONS_FILE)
    described = {c.name: c.description for c in run.config().classes}
    classes = [ClassName(name, name, described.get(name, "")) for name in metrics.get("labels") or []]
    if not classes:
        raise RunError(t("llm.err.baseline_task"))
    rows = list(range(min(len(frame), settings.max_rows)))
    texts = frame["text"].astype(str).tolist()
    speed = _model_speed(run.path, texts[:TIMED_TEXTS])  # first: a model that cannot load costs no tokens
    results = LLMLabeler(settings, classes, (), **labeler).label_rows(rows, texts)
    answered = [r for r in results if r.status in (OK, UNPARSED)]
    if not answered:
        raise ConfigError(t("llm.err.no_answer", host=settings.host))
    truth, predicted = frame["label"].astype(str).tolist(), frame["predicted"].astype(str).tolist()
    labeled = [r for r in answered if r.status == OK]
    out = {
        "model": settings.model.strip(), "host": settings.host, "price_in": settings.price_in,
        "price_out": settings.price_out, "rows": len(answered), "of_rows": len(frame),
        "llm_accuracy": sum(r.label == truth[r.row] for r in answered) / len(answered),
        "model_accuracy": sum(predicted[r.row] == truth[r.row] for r in answered) / len(answered),
        "agreement": sum(r.label == predicted[r.row] for r in labeled) / len(labeled) if labeled else None,
        **summarize(results, settings),
        **speed,
        "created_at": time.time(), "by": user.id,
    }
    run.write_json(LLM_BASELINE_FILE, out)
    return out


def _model_speed(run_path: Path, texts: list[str]) -> dict[str, Any]:
    """The run's model: median seconds to label one text (as the API does), and its parameter count."""
    from tuneboard.predict import Predictor

    predictor = Predictor.load(run_path)
    predictor.predict(texts[:1])  # warm-up: the first call pays for lazy initialisation
    times = []
    for text in texts:
        started = time.perf_counter()
        predictor.predict([text])
        times.append(time.perf_counter() - started)
    parameters = getattr(predictor.model, "parameters", None)
    count = sum(p.numel() for p in parameters()) if callable(parameters) else None
    return {"model_latency_s": statistics.median(times), "model_parameters": count}
