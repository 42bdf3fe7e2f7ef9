"""Make a finished run smaller: knowledge distillation into a student model.

The student is the teacher's first ``layers`` encoder layers (its embeddings, those layers and its
head copied from the teacher's run folder) or any smaller local model folder. It trains on the same
split of the same data (the teacher's ``TrainConfig``, so ``prepare_data`` splits it identically)
against a mix of the teacher's soft labels and the true labels::

    loss = alpha * KL(teacher_T || student_T) * T^2 + (1 - alpha) * CE(student, true label)

(sigmoid targets and binary cross-entropy for multi-label), plus, optionally, extra unlabeled rows
that only the teacher labels. The teacher's logits are computed once before training, not per step.
This module plans a distillation and compares teacher and student; the training side is student.py.

The student is a normal run: its ``config.json`` is the teacher's with ``model`` set to the teacher's
model folder (or the student folder), ``trainer = "distill"`` and its recipe in ``distill`` (a ``DistillSpec``), which
is what makes ``training.execute`` train it with ``student.DistillTrainer``; ``metrics.json`` carries
``distilled_from``. Evaluate, Predict, export and serve read it like any other run.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from tuneboard.config import DistillSpec, TrainConfig
from tuneboard.data.prepare import PreparedData, prepare_data
from tuneboard.data.targets import encode_targets
from tuneboard.errors import ConfigError, DataError, RunError
from tuneboard.i18n import t
from tuneboard.model.catalog import load_model_config, resolve_model
from tuneboard.paths import ModelFiles
from tuneboard.predict.inference import Predictor
from tuneboard.protocol import BASELINE_MODEL, HAS_MODEL
from tuneboard.runs.folder import RunDir, open_run, runs_root
from tuneboard.train.student import unlabeled_rows

if TYPE_CHECKING:
    from tuneboard.train.pipeline import RunResult

TASKS = ("single_label", "multi_label")
INT8_ROW = "student, int8 ONNX"


@dataclass(frozen=True)
class DistillSettings:
    """How to distil: the student (``layers`` of the teacher, or a ``student`` model folder), the
    temperature, the share ``alpha`` of the soft-label loss, epochs (``student_epochs`` when ``None``) and
    an optional file of unlabeled rows. Validates itself."""

    layers: int | None = None
    student: str | None = None
    temperature: float = 2.0
    alpha: float = 0.5
    epochs: int | None = None
    unlabeled: str | None = None

    def __post_init__(self) -> None:
        if self.layers is not None and self.student:
            raise ConfigError(t("engine.err.distill.both"))
        if self.layers is not None and self.layers < 1:
            raise ConfigError(t("engine.err.distill.layers", layers=self.layers))
        if not 0.0 < self.temperature <= 20.0:
            raise ConfigError(t("engine.err.distill.temperature", value=self.temperature))
        if not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(t("engine.err.distill.alpha", value=self.alpha))
        if self.epochs is not None and not 1 <= self.epochs <= 100:
            raise ConfigError(t("engine.err.distill.epochs", value=self.epochs))
        if self.unlabeled and self.alpha == 0.0:
            raise ConfigError(t("engine.err.distill.alpha_zero"))


def plan(teacher_path: str | Path, settings: DistillSettings) -> tuple[TrainConfig, PreparedData]:
    """The student's ``TrainConfig`` and its data (the teacher's split), or one clear refusal."""
    teacher = open_run(teacher_path)
    cfg, metrics = teacher.config(), teacher.metrics() or {}
    total = check_teacher(teacher)
    layers = settings.layers if settings.student is None else None
    if settings.student is None:
        layers = layers or suggested_layers(total)
        if layers >= total:
            raise ConfigError(t("engine.err.distill.not_smaller", total=total, layers=layers, most=total - 1))
    else:
        resolve_model(settings.student)  # a missing folder fails here, before any run folder is made
    who = f"student-{layers}-layers" if layers else f"student-{Path(str(settings.student)).name}"
    recipe = DistillSpec(**{**asdict(settings), "layers": layers}, teacher_run=teacher.run_id,
                         teacher_path=str(teacher.path), teacher_layers=total)
    student = cfg.replace(model=settings.student or str(teacher.model_dir),
                          epochs=settings.epochs or student_epochs(cfg), output_dir=str(teacher.path.parent),
                          run_name=f"{Path(str(cfg.data)).stem}-{who}", trainer="distill", distill=recipe)
    data = prepare_data(student)
    if metrics.get("labels") and list(metrics["labels"]) != list(data.labels):
        raise DataError(t("engine.err.distill.classes_changed", run_id=teacher.run_id,
                          labels=", ".join(data.labels[:5])))
    if settings.unlabeled:
        unlabeled_rows(settings.unlabeled, student, data)  # an unreadable file fails here too
    return student, data


def check_teacher(teacher: RunDir) -> int:
    """Refuse a run that cannot teach (unfinished, TF-IDF, regression) in one line; else its layer count."""
    cfg, status = teacher.config(), teacher.status().get("status")
    if cfg.model == BASELINE_MODEL:
        raise ConfigError(t("engine.err.distill.tfidf"))
    if status not in HAS_MODEL or not (teacher.model_dir / ModelFiles.CONFIG).is_file():
        raise RunError(t("engine.err.distill.no_model", run_id=teacher.run_id, status=status))
    task = (teacher.metrics() or {}).get("task") or cfg.task
    if task not in TASKS:
        raise ConfigError(t("engine.err.distill.task", run_id=teacher.run_id, task=task))
    return teacher_layers(teacher)


def distill(teacher_path: str | Path, settings: DistillSettings,
            on_event: Callable[[dict[str, Any]], None] | None = None, stop: threading.Event | None = None) -> RunResult:
    """Plan and train the student now (the CLI's path; the app queues ``plan``'s config instead)."""
    from tuneboard.train.pipeline import execute

    config, data = plan(teacher_path, settings)
    return execute(config, on_event=on_event, stop=stop, data=data)


def teacher_layers(teacher: RunDir) -> int:
    """How many encoder layers the teacher has."""
    layers = getattr(load_model_config(resolve_model(str(teacher.model_dir))), "num_hidden_layers", None)
    if not layers:
        raise ConfigError(t("engine.err.distill.no_layers"))
    return int(layers)


def students_of(teacher_path: str | Path) -> list[RunDir]:
    """Runs distilled from this teacher (beside it, newest first)."""
    from tuneboard.runs.folder import list_runs

    teacher = open_run(teacher_path)
    found = []
    for run in list_runs(teacher.path.parent if teacher.path.parent.is_dir() else runs_root()):
        try:
            recipe = run.config().distill
            if recipe is not None and recipe.teacher_run == teacher.run_id:
                found.append(run)
        except Exception:  # noqa: BLE001 -- a half-written folder is not a student
            continue
    return found


def student_epochs(teacher: TrainConfig) -> int:
    """Twice the teacher's epochs: a cut student starts further from the task than a fine-tuning does
    (on the demo, 3-layer MiniLM: 84 % of the teacher's macro-F1 after its 3 epochs, 99.6 % after 6)."""
    return min(100, 2 * int(teacher.epochs or 3))


def suggested_layers(total: int) -> int:
    """Half the teacher's layers: about half the latency, and most of the accuracy kept (bench/RESULTS.md)."""
    return max(1, total // 2)


def compare(student_path: str | Path, single: int = 30, rounds: int = 2, int8: bool = False) -> dict[str, Any]:
    """Teacher vs student, measured on this machine's CPU: parameters, size, one-text p50 latency,
    rows/s and accuracy / macro-F1 on the validation split they share (with ``int8``, the student's
    int8 ONNX export too). ``{"rows": [...], "summary": str}``."""
    from tuneboard.serve.benchmark import measure
    from tuneboard.serve.onnx import OnnxPredictor, ensure_onnx, validation_rows

    student = open_run(student_path)
    config = student.config()
    recipe = config.distill
    if config.trainer != "distill" or recipe is None:
        raise RunError(t("engine.err.distill.no_teacher", run_id=student.run_id))
    try:
        teacher = open_run(recipe.teacher_path)
    except RunError:  # the runs folder moved: look the teacher up by id
        teacher = open_run(recipe.teacher_run)
    frame = validation_rows(student, limit=10**9)
    texts = frame["text"].astype(str).tolist()
    pairs = frame["text_pair"].astype(str).tolist() if "text_pair" in frame.columns else None
    entries = [("teacher", teacher, "torch", Predictor.load(teacher.path, device="cpu")),
               ("student", student, "torch", Predictor.load(student.path, device="cpu"))]
    if int8:
        entries.append((INT8_ROW, student, "onnx-int8", OnnxPredictor.load(ensure_onnx(student.path, "onnx-int8"))))
    speed = measure([e[3] for e in entries], texts, pairs, single, rounds)
    rows = [{"model": name, "format": fmt, "run_id": run.run_id, **_size(run, fmt), "p50_ms": p50,
             "rows_per_s": rps, **_quality(predictor, frame, scores)}
            for (name, run, fmt, predictor), (p50, rps, scores) in zip(entries, speed, strict=True)]
    return {"rows": rows, "summary": summary(rows)}


def _size(run: RunDir, fmt: str) -> dict[str, Any]:
    """Parameters, encoder layers and weight-file megabytes of a run's model (or its int8 export)."""
    from tuneboard.model.catalog import describe_model
    from tuneboard.serve.benchmark import format_bytes

    card = describe_model(str(run.model_dir))
    return {"parameters": card.parameters, "layers": card.layers, "size_mb": format_bytes(run, fmt) / 1e6}


def _quality(predictor: Any, rows: Any, scores: np.ndarray) -> dict[str, float]:
    from tuneboard.predict.metrics import compute_metrics

    labels = predictor.labels
    frame = rows.assign(label=[x.split("|") if x else [] for x in rows["label"]]) \
        if predictor.task == "multi_label" else rows
    m = compute_metrics(predictor.task, labels, encode_targets(frame, predictor.task, labels), scores,
                        predictor.threshold)
    return {"accuracy": m.get("accuracy", m.get("subset_accuracy")), "macro_f1": m["macro_f1"]}


def summary(rows: list[dict[str, Any]]) -> str:
    """One sentence: what the student keeps and what it saves, against the teacher."""
    by = {r["model"]: r for r in rows}
    t, s = by["teacher"], by["student"]
    kept = s["macro_f1"] / t["macro_f1"] if t["macro_f1"] else float("nan")
    out = (f"The student keeps {kept:.1%} of the teacher's macro-F1 at {s['p50_ms'] / t['p50_ms']:.2f}x its "
           f"one-text latency, {s['size_mb'] / t['size_mb']:.2f}x its size and "
           f"{s['rows_per_s'] / t['rows_per_s']:.1f}x its rows/s.")
    q = by.get(INT8_ROW)
    if q:
        out += (f" As int8 ONNX: {q['macro_f1'] / t['macro_f1']:.1%} of the macro-F1 at "
                f"{q['p50_ms'] / t['p50_ms']:.2f}x the latency and {q['size_mb'] / t['size_mb']:.2f}x the size.")
    return out
