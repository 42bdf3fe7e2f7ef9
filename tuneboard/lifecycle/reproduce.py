"""Rebuild a run from its receipt and say how close the numbers came.

``reproduce`` checks that the data files are the ones the run read (SHA-256), trains again with the
receipt's settings and seed, on as many CPU threads as the run had, and compares every score of the
two runs' ``metrics.json`` and every per-example score of their ``predictions.parquet``.

On a CPU the numbers match to ``TOLERANCE``: the seed fixes the split, the batches, dropout and the new
head's weights, and a CPU's kernels add in the same order when the thread count is the same. Measured on
a tiny BERT (bf16 autocast on this CPU): 0.0 difference on the same thread count; 1 thread instead of 2
moved the metrics by 1.2e-8 and the per-example scores by 1.8e-7 (a sum split differently rounds its last
bits), which is why the count is restored. TF-IDF: 0.0. A GPU run is not promised: cuBLAS and cuDNN choose kernels
that add in a different order from one call to the next unless deterministic algorithms were on, and
bf16/fp16 round the difference up; the report then says which of these applies.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from tuneboard.config import TrainConfig
from tuneboard.errors import DataError, RunError
from tuneboard.i18n import t
from tuneboard.paths import RunFiles
from tuneboard.runs.folder import RunDir, open_run
from tuneboard.runs.receipt import file_sha256, package_versions, read_receipt
from tuneboard.team.access import LOCAL, User, check

TOLERANCE = 1e-6
REPRODUCTION_FILE = "reproduction.json"
# how long things took is not what a run computed
NOT_COMPARED = {"train_runtime_s", "train_samples_per_second", "train_cpu_s", "train_tokens_per_second",
                "wall_time_s", "fit_seconds"}


@dataclass
class Reproduction:
    """The outcome: the two runs, each metric's absolute difference, the largest of those and of the
    per-example scores, and what may explain a difference (``notes``: catalog texts)."""

    original: str
    reproduced: str
    differences: dict[str, float]
    max_abs_diff: float
    scores_max_abs_diff: float | None
    tolerance: float = TOLERANCE
    notes: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        worst = max(self.max_abs_diff, self.scores_max_abs_diff or 0.0)
        return math.isfinite(worst) and worst <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "matches": self.matches}


def check_data(receipt: dict[str, Any]) -> None:
    """Raise ``DataError`` (one line naming the file) when a file the run read is missing or changed."""
    for role, rec in (receipt.get("data") or {}).items():
        path = Path(str(rec.get("path")))
        if not path.is_file():
            raise DataError(t("receipts.err.data_missing", role=role, path=path))
        if file_sha256(path) != rec.get("sha256"):
            raise DataError(t("receipts.err.data_changed", role=role, path=path, sha=str(rec.get("sha256"))[:12]))


def reproduce(run_path: str | Path, output: str | Path | None = None, user: User = LOCAL,
              on_event: Callable[[dict[str, Any]], None] | None = None) -> Reproduction:
    """Train ``run_path`` again from its receipt (into ``output``, else beside it) and compare. Raises
    ``RunError`` for a run without a receipt, ``DataError`` when its data changed, ``PermissionDenied``
    for someone who may not see the run's texts (retraining reads them)."""
    from tuneboard.train.pipeline import execute

    run = open_run(run_path)
    check(user, "view_texts", run.path)
    receipt = read_receipt(run)
    if not receipt or not receipt.get("config"):
        raise RunError(t("receipts.err.no_receipt", run_id=run.run_id))
    check_data(receipt)
    config = TrainConfig.from_dict(receipt["config"], strict=False)
    files = {role: str((receipt.get("data") or {}).get(role, {}).get("path") or "") for role in ("train", "validation")}
    config = config.replace(data=files["train"] or config.data, validation=files["validation"] or config.validation,
                            output_dir=str(output or run.path.parent),
                            run_name=f"repro-{Path(str(config.data)).stem}", mlflow=False)
    with _threads((receipt.get("determinism") or {}).get("threads")):
        result = execute(config, on_event=on_event)
    out = compare_runs(run, result.run, receipt)
    result.run.write_json(REPRODUCTION_FILE, out.to_dict())
    return out


def compare_runs(original: RunDir, new: RunDir, receipt: dict[str, Any] | None = None) -> Reproduction:
    """Each metric's absolute difference between two runs, the per-example scores' largest one, and notes."""
    a, b = _numbers(original.metrics() or {}), _numbers(new.metrics() or {})
    diffs = {k: abs(a[k] - b[k]) if k in b else math.inf for k in a}
    diffs.update({k: math.inf for k in b if k not in a})
    worst = max(diffs.values(), default=0.0)
    out = Reproduction(original.run_id, new.run_id, diffs, worst, _scores_diff(original, new))
    if not out.matches:
        out.notes = why_not(receipt or read_receipt(original) or {}, read_receipt(new) or {})
    return out


def why_not(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs between two receipts that can move the numbers, in words."""
    notes = []
    hw, det = before.get("hardware") or {}, before.get("determinism") or {}
    if not str(hw.get("device", "cpu")).startswith("cpu"):
        notes.append(t("receipts.note.gpu", device=hw.get("device"), precision=hw.get("precision", "fp32")))
    changed = sorted(k for k, v in (before.get("packages") or {}).items() if package_versions().get(k) != v)
    if changed:
        notes.append(t("receipts.note.packages", names=", ".join(changed)))
    threads, now = det.get("threads"), (after.get("determinism") or {}).get("threads")
    if threads and now and threads != now:
        notes.append(t("receipts.note.threads", before=threads, after=now))
    if (before.get("code") or {}).get("commit") != (after.get("code") or {}).get("commit"):
        notes.append(t("receipts.note.code"))
    return notes or [t("receipts.note.unknown")]


def _numbers(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in metrics.items():
        if k in NOT_COMPARED:
            continue
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            out[prefix + k] = float(v)
        elif k == "baseline" and isinstance(v, dict):
            out.update(_numbers(v, "baseline."))
    return out


def _scores_diff(a: RunDir, b: RunDir) -> float | None:
    import numpy as np
    import pandas as pd

    try:
        pa, pb = (pd.read_parquet(r.path / RunFiles.PREDICTIONS) for r in (a, b))
    except (OSError, ValueError):
        return None
    cols = [c for c in pa.columns if c.startswith("score_") or c == "predicted" and pa[c].dtype.kind == "f"]
    if len(pa) != len(pb) or any(c not in pb for c in cols):
        return math.inf
    if not cols:
        return None
    return float(np.max(np.abs(pa[cols].to_numpy(float) - pb[cols].to_numpy(float)), initial=0.0))


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Train on ``n`` torch threads, as the run did (its sums split the same way), then restore the count."""
    if not n:
        yield
        return
    from tuneboard.model.hf import import_torch

    import_torch()
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)
