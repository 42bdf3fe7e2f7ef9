"""A run's receipt: what rebuilds it, written into its folder as ``receipt.json``.

Begun when the run starts (the data's SHA-256 hashes, where its labels came from, the exact settings and
seed, package and code versions, the machine) and completed when it ends (the device and precision the
trainer really used, the thread count, the deterministic flags, the energy if it was measured), both
times atomically. ``python -m tuneboard reproduce RUN`` (lifecycle/reproduce.py) reads it back.

Nothing secret goes in: no environment variable is copied, and the settings are the run's own
``config.json``.
"""
from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from tuneboard.config import TrainConfig
from tuneboard.files import read_json, update_json
from tuneboard.paths import RunFiles
from tuneboard.runs.folder import RunDir

RECEIPT_FILE = RunFiles.RECEIPT
RECEIPT_VERSION = 1
LABEL_SOURCE = "label_source"  # the labeling store's export names who gave each label in this column
# the libraries whose versions change what a run computes
PACKAGES = ("tuneboard", "torch", "transformers", "tokenizers", "scikit-learn", "numpy", "pandas", "peft",
            "safetensors", "huggingface_hub")
_CHUNK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def data_files(config: TrainConfig) -> dict[str, str]:
    """The files a run reads, by role: ``train`` and, when it has one, ``validation``."""
    files = {"train": str(config.data)}
    if config.validation:
        files["validation"] = str(config.validation)
    return files


def begin_receipt(run: RunDir, config: TrainConfig) -> dict[str, Any]:
    """Write the first half of ``run``'s receipt (a resumed run keeps the one it began with)."""
    path = run.path / RECEIPT_FILE
    if path.is_file():
        return read_json(path)
    receipt = {
        "receipt_version": RECEIPT_VERSION,
        "run_id": run.run_id,
        "state": "started",
        "started_at": time.time(),
        "data": {role: _file_record(p) for role, p in data_files(config).items()},
        "labels": label_provenance(config),
        "config": config.to_dict(),
        "seed": config.seed,
        "packages": package_versions(),
        "code": code_version(),
        "python": platform.python_version(),
        "hardware": machine(),
    }
    run.write_json(RECEIPT_FILE, receipt)
    return receipt


def complete_receipt(run: RunDir, **extra: Any) -> dict[str, Any]:
    """Fill in what only the finished run knows: the device and precision its trainer announced (the
    history's ``start`` event), the thread count and deterministic flags, and ``extra`` (e.g. ``energy``)."""
    start = next((e for e in run.history() if e.get("type") == "start"), {})

    def finish(receipt: dict[str, Any]) -> None:
        hardware = receipt.setdefault("hardware", machine())
        hardware["device"] = start.get("device", "cpu")
        hardware["precision"] = _precision(start.get("amp"))
        if str(hardware["device"]).startswith("cuda"):
            hardware["gpu"] = _gpu_name()
        receipt["determinism"] = determinism()
        receipt.update(extra, state="completed", ended_at=time.time())

    return update_json(run.path / RECEIPT_FILE, finish)


def read_receipt(run: RunDir) -> dict[str, Any] | None:
    """The run's receipt, or None when it has none (a run made before receipts) or it is unreadable."""
    try:
        return read_json(run.path / RECEIPT_FILE)
    except (OSError, ValueError):
        return None


def label_provenance(config: TrainConfig) -> dict[str, Any]:
    """Where the training table's labels came from: rows per value of its ``label_source`` column, or
    ``{"source": "imported table"}`` when it has none (labels that came with the file)."""
    from tuneboard.data.readers import read_table
    from tuneboard.errors import TuneboardError

    counts: dict[str, int] = {}
    for path in data_files(config).values():
        if not _may_have_column(path, LABEL_SOURCE):
            continue
        try:
            df, _ = read_table(path, encoding=config.encoding, sheet=config.sheet)
        except (TuneboardError, OSError):
            continue
        if LABEL_SOURCE in df.columns:
            for value, n in df[LABEL_SOURCE].fillna("").astype(str).str.strip().value_counts().items():
                key = value or "unknown"
                counts[key] = counts.get(key, 0) + int(n)
    if not counts:
        return {"source": "imported table", "column": None, "counts": {}}
    return {"source": "label_source column", "column": LABEL_SOURCE, "counts": counts}


def _may_have_column(path: str, column: str) -> bool:
    """False only when a text table's first line shows it has no ``column``: the run's start then skips
    reading the whole table a second time (Excel and Parquet files are read to know)."""
    if Path(path).suffix.lower() not in (".csv", ".tsv", ".txt"):
        return True
    try:
        with open(path, "rb") as f:
            return column.encode() in f.readline(1 << 20)
    except OSError:
        return False


def package_versions() -> dict[str, str | None]:
    """Installed versions, read from the package metadata (nothing is imported)."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if out["tuneboard"] is None:  # run from a checkout: the package is not installed, its version is in the code
        from tuneboard import __version__

        out["tuneboard"] = __version__
    return out


def code_version() -> dict[str, Any]:
    """The git commit of the code that ran, else only the package version. A missing git, or a folder that
    is no repository, is not an error."""
    from tuneboard import __version__

    return {"commit": git_commit(Path(__file__).resolve().parent), "version": __version__}


def git_commit(folder: Path) -> str | None:
    """The commit checked out in the repository holding ``folder``, read from its files. Read, not asked of
    ``git``: a run's start in the server must not start a process, and the machine may have no git."""
    top = next((p for p in (folder, *folder.parents) if (p / ".git").exists()), None)
    if top is None:
        return None
    try:
        gitdir = top / ".git"
        if gitdir.is_file():  # a worktree or submodule: "gitdir: <path>"
            gitdir = (top / gitdir.read_text(encoding="utf-8").split(":", 1)[1].strip()).resolve()
        head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None  # a detached head is the commit itself
        ref = head.split(":", 1)[1].strip()
        common = gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip() \
            if (gitdir / "commondir").is_file() else gitdir
        for place in (gitdir, common):
            if (place / ref).is_file():
                return (place / ref).read_text(encoding="utf-8").strip() or None
        for line in (common / "packed-refs").read_text(encoding="utf-8").splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except (OSError, IndexError):
        return None
    return None


def machine() -> dict[str, Any]:
    """The CPU the run used: model name and cores."""
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "system": platform.system(),
            "machine": platform.machine()}


def determinism() -> dict[str, Any]:
    """The settings that decide whether a retraining gives the same numbers: torch's thread count and
    deterministic flags (read only if torch is loaded: a TF-IDF run never needs it)."""
    torch = sys.modules.get("torch")
    out: dict[str, Any] = {"torch_loaded": torch is not None,
                           "cublas_workspace_config": os.environ.get("CUBLAS_WORKSPACE_CONFIG")}
    if torch is not None:
        out.update(threads=torch.get_num_threads(),
                   deterministic_algorithms=torch.are_deterministic_algorithms_enabled(),
                   cudnn_deterministic=bool(torch.backends.cudnn.deterministic),
                   cudnn_benchmark=bool(torch.backends.cudnn.benchmark))
    return out


def _file_record(path: str) -> dict[str, Any]:
    p = Path(path).resolve()  # the run may be reproduced from another working folder
    return {"path": str(p), "name": p.name, "sha256": file_sha256(p), "bytes": p.stat().st_size}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpu_name() -> str | None:
    torch = sys.modules.get("torch")
    try:
        return torch.cuda.get_device_name() if torch is not None and torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001 -- a driver's odd answer must not cost the run its receipt
        return None


def _precision(amp: Any) -> str:
    """The history's ``amp`` ("torch.bfloat16", "None") as a precision word: fp32, bf16, fp16."""
    text = str(amp or "")
    return "bf16" if "bfloat16" in text else "fp16" if "float16" in text else "fp32"
