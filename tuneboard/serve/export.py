"""Export a finished run as one zip: the model folder, its settings, its scores and a model card.

The zip's root *is* the model folder (Hugging Face ``save_pretrained`` layout, or the TF-IDF
baseline's ``baseline.skops`` + ``baseline.json``), so after ``unzip run.zip -d my-model``
``AutoModelForSequenceClassification.from_pretrained("my-model")`` (or ``Predictor.load``) works.
Tuneboard's own ``config.json`` is stored as ``tuneboard_config.json`` so it does not clash with the
model's ``config.json``.
"""
from __future__ import annotations

import os
import shutil
import time
import zipfile
from pathlib import Path

from tuneboard.errors import RunError
from tuneboard.files import atomic_path, is_regular_inside, open_regular, regular_files
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles, RunFiles
from tuneboard.predict.baseline import BASELINE_FILE, LEGACY_FILE
from tuneboard.protocol import HAS_MODEL
from tuneboard.runs.card import (  # one card builder for a run's folder and its exports
    CARD_FILE,
    SHOWN_METRICS,  # noqa: F401 -- part of this module's surface (api.py reads it)
    model_card,
)
from tuneboard.runs.folder import RunDir, open_run
from tuneboard.team.access import LOCAL, User, check

EXPORTABLE = HAS_MODEL


ONNX_FORMATS = {"onnx": "fp32", "onnx-int8": "int8"}  # format -> its folder in <run>/onnx (onnx_export.py)


def default_export_path(run: RunDir, fmt: str = "hf") -> Path:
    """``models/exports/<run_id>.zip`` (``<run_id>-<fmt>.zip`` for an ONNX format) beside ``models/runs``
    (git-ignored like every model)."""
    return run.path.parent.parent / "exports" / (f"{run.run_id}.zip" if fmt == "hf" else f"{run.run_id}-{fmt}.zip")


def export_paths(run: RunDir) -> list[Path]:
    """Where every format of the run is exported by default (what "Delete for good" removes)."""
    return [default_export_path(run, fmt) for fmt in ("hf", *ONNX_FORMATS)]


def export_run(run_path: str | Path, dest_zip: Path | None = None, user: User = LOCAL) -> Path:
    """Write ``run_path``'s model, settings, metrics and a README model card into a zip; return its path.

    Raises ``PermissionDenied`` unless ``user`` owns the run or is an admin, ``RunError`` when the run
    has not finished (completed or stopped) or saved no model.
    """
    run = open_run(run_path)
    check(user, "export", run.path)
    status = run.status().get("status")
    if status not in EXPORTABLE:
        raise RunError(t("engine.err.export.not_finished", run_id=run.run_id, status=status))
    files = regular_files(run.model_dir, run.path)  # no symlink, nothing outside the run folder
    names = {p.name for p in files}
    if not ({ModelFiles.CONFIG, ModelFiles.BASELINE} & names):
        raise RunError(t("engine.err.export.no_model", run_id=run.run_id))
    if ModelFiles.BASELINE in names and BASELINE_FILE not in names:
        raise RunError(t("engine.err.export.pickle", run_id=run.run_id, file=LEGACY_FILE))
    # never ship a pickle; the card is built again below (the same builder wrote the saved one; an older run has none)
    files = [p for p in files if p.name != LEGACY_FILE and p.relative_to(run.model_dir).as_posix() != CARD_FILE]
    dest = Path(dest_zip) if dest_zip else default_export_path(run)
    try:
        with atomic_path(dest, sum(p.stat().st_size for p in files)) as tmp, \
                zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            # Weights barely compress; storing them keeps a 90 MB export at disk speed.
            for p in files:
                binary = p.suffix in (".safetensors", ".bin", ".skops")
                zip_regular(zf, p, p.relative_to(run.model_dir).as_posix(), run.path,
                            zipfile.ZIP_STORED if binary else zipfile.ZIP_DEFLATED)
            zip_regular(zf, run.path / RunFiles.CONFIG, ModelFiles.EXPORTED_CONFIG, run.path)
            zip_regular(zf, run.path / RunFiles.METRICS, RunFiles.METRICS, run.path)
            zf.writestr(CARD_FILE, model_card(run))
    except OSError as e:
        raise RunError(t("engine.err.export.cannot_write", dest=dest, reason=e.strerror or e)) from None
    return dest


def zip_regular(zf: zipfile.ZipFile, path: Path, arcname: str, root: Path,
                compress_type: int = zipfile.ZIP_DEFLATED) -> bool:
    """Add ``path`` to ``zf`` as ``arcname`` if it is a regular file inside ``root`` (not a symlink, checked
    again as it is opened); returns whether it was added."""
    if not is_regular_inside(path, root):
        return False
    with open_regular(path) as src:
        st = os.fstat(src.fileno())
        info = zipfile.ZipInfo(arcname, time.localtime(st.st_mtime)[:6])
        info.compress_type, info.file_size, info.external_attr = compress_type, st.st_size, (st.st_mode & 0xFFFF) << 16
        with zf.open(info, "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return True
