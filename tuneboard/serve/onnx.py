"""ONNX (fp32) and dynamically quantized int8 ONNX exports of a run, and a predictor that runs them.

An export lives in the run folder, beside ``model/``::

    <run>/onnx/fp32/   model.onnx, the tokenizer, config.json (labels, task, threshold), parity.json
    <run>/onnx/int8/   the same, with int8 weights (onnxruntime.quantization.quantize_dynamic)

``parity.json`` is the check run right after the export: the exported model and the PyTorch model on
the run's validation rows (label agreement, each one's accuracy, the largest score difference).
``optimum`` would do the export too; it is not a dependency, and ``torch.onnx.export`` plus
onnxruntime's quantizer are all a sequence classifier needs.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tuneboard.errors import ConfigError, ModelLoadError, RunError
from tuneboard.files import (
    atomic_path,
    is_regular_inside,
    make_private,
    open_regular,
    private_dir,
    regular_files,
    write_bytes_atomic,
)
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles, RunFiles
from tuneboard.predict.inference import Predictor, task_from_problem_type, to_scores
from tuneboard.runs.folder import RunDir, open_run
from tuneboard.serve.export import ONNX_FORMATS, default_export_path, model_card, zip_regular

FORMATS = ONNX_FORMATS
PARITY_ROWS = 1000  # enough rows to see a label flip, few enough to check in seconds on a CPU
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                   ModelFiles.CONFIG, "sentencepiece.bpe.model", "spiece.model", "merges.txt", "vocab.json")


def onnx_folder(run: RunDir, fmt: str) -> Path:
    """Where ``fmt`` ("onnx" or "onnx-int8") of ``run`` is (or will be) exported."""
    if fmt not in FORMATS:
        raise ConfigError(t("engine.err.export.format", fmt=fmt, formats=", ".join(["hf", *FORMATS])))
    return run.path / RunFiles.ONNX / FORMATS[fmt]


def ensure_onnx(run_path: str | Path, fmt: str = "onnx", force: bool = False) -> Path:
    """The folder holding ``fmt`` for this run, exporting (and parity-checking) it first when missing."""
    from tuneboard.predict.baseline import is_baseline_folder

    run = open_run(run_path)
    folder = onnx_folder(run, fmt)
    if is_baseline_folder(run.model_dir):
        raise ConfigError(t("engine.err.export.baseline_onnx", run_id=run.run_id))
    if not (run.model_dir / ModelFiles.CONFIG).is_file():
        raise RunError(t("engine.err.export.no_saved_model", run_id=run.run_id))
    if (folder / ModelFiles.ONNX).is_file() and (folder / ModelFiles.PARITY).is_file() and not force:
        return folder
    staging = Path(tempfile.mkdtemp(dir=run.path, prefix=".onnx-"))
    try:
        if fmt == "onnx":
            _export_fp32(run.model_dir, staging)
            _copy_regular(run.model_dir, staging, TOKENIZER_FILES, run.path)
        else:
            fp32 = ensure_onnx(run.path, "onnx")
            names = [p.name for p in regular_files(fp32, run.path) if p.parent == fp32]
            _copy_regular(fp32, staging, [n for n in names if n not in (ModelFiles.ONNX, ModelFiles.PARITY)], run.path)
            _quantize(fp32 / ModelFiles.ONNX, staging / ModelFiles.ONNX)
        parity = parity_check(run, OnnxPredictor.load(staging))
        (staging / ModelFiles.PARITY).write_text(json.dumps(parity, indent=2), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        make_private(staging)  # torch and onnxruntime wrote it with the umask's modes
        private_dir(folder.parent)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _export_fp32(model_dir: Path, dest: Path) -> None:
    import torch

    from tuneboard.model.catalog import quiet_transformers
    from tuneboard.model.hf import names

    AutoModelForSequenceClassification, AutoTokenizer = names(  # noqa: N806
        "AutoModelForSequenceClassification", "AutoTokenizer")

    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(model_dir, attn_implementation="eager").eval()

    class Logits(torch.nn.Module):
        """Positional inputs and a bare logits output: the ONNX graph's signature."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    tokenizer = AutoTokenizer.from_pretrained(model_dir, use_fast=True)
    enc = tokenizer(["a sample", "a longer sample text to export"], padding=True, return_tensors="pt")
    sample = (enc["input_ids"], enc["attention_mask"], torch.zeros_like(enc["input_ids"]))
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS} | {"logits": {0: "batch"}}
    # The TorchScript exporter (dynamo=False) writes one self-contained file in a fraction of a second
    # for BERT-like models; the dynamo exporter took 3.5 s on a 2-layer model and splits weights out.
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(Logits().eval(), sample, str(dest / ModelFiles.ONNX), input_names=list(INPUTS),
                          output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)


def _copy_regular(src: Path, dest: Path, names: Any, root: Path) -> None:
    """Copy each of ``names`` from ``src`` that is a regular file inside ``root`` (never through a symlink)."""
    for name in names:
        if is_regular_inside(src / name, root):
            with open_regular(src / name) as f:
                write_bytes_atomic(dest / name, f.read())


def _quantize(src: Path, dest: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Dynamic quantization: int8 weights, activations quantized on the fly; no calibration data needed.
    # The quantizer logs a "consider pre-processing" hint on the root logger at every call; the parity
    # check that follows is what tells whether the result is good.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)


def tight_batches(lengths: np.ndarray, batch_size: int, slack: float = 0.9) -> list[list[int]]:
    """Index batches, longest first, where no row is shorter than ``slack`` times its batch's longest.
    On a CPU every padding token costs as much as a real one and batching saves little per row
    (int8 MiniLM, one thread: 2.4 ms CPU per row in a padded batch of 16 server texts, 2.0 ms when
    rows of one length run together), so a batch is cut where padding would start to cost."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    batches: list[list[int]] = []
    for i in order.tolist():
        if batches and len(batches[-1]) < batch_size and lengths[i] >= slack * lengths[batches[-1][0]]:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def session_options() -> Any:
    """onnxruntime settings for a CPU box shared with the web server and other work.

    By default onnxruntime's intra-op threads spin-wait between operators. In the server the event loop
    and the model thread share the cores with those spinners: under 16 clients on 2 busy cores the int8
    model cost 5.0-5.6 ms of server CPU per request with spinning and 2.6-2.7 ms without, and served
    2.4-3.2x the requests per second (bench/RESULTS.md, serving)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return so


class OnnxPredictor(Predictor):
    """An exported model on onnxruntime behind the ``Predictor`` surface (``scores``, ``predict``, ...)."""

    def __init__(self, session: Any, tokenizer: Any, config: dict[str, Any], folder: Path) -> None:  # noqa: D107
        self.session, self.tokenizer, self.folder = session, tokenizer, folder
        self.model, self.device, self.amp = None, None, None
        self.task = config.get("tuneboard_task") or task_from_problem_type(config.get("problem_type"))
        id2label = {int(k): v for k, v in (config.get("id2label") or {}).items()}
        self.labels = [id2label[i] for i in range(len(id2label))] if self.task != "regression" else []
        self.max_length = int(config.get("tuneboard_max_length", 256))
        self.mean = float(config.get("tuneboard_target_mean", 0.0))
        self.std = float(config.get("tuneboard_target_std", 1.0))
        self.threshold = float(config.get("tuneboard_threshold", 0.5))
        self.batch_size = 32
        self.input_names = [i.name for i in session.get_inputs()]

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "OnnxPredictor":
        import onnxruntime as ort

        from tuneboard.model.hf import names

        AutoTokenizer = names("AutoTokenizer")  # noqa: N806

        folder = Path(path)
        try:
            config = json.loads((folder / ModelFiles.CONFIG).read_text(encoding="utf-8"))
            tokenizer = AutoTokenizer.from_pretrained(folder, use_fast=True)
            session = ort.InferenceSession(str(folder / ModelFiles.ONNX), session_options(),
                                           providers=["CPUExecutionProvider"])
        except Exception as e:
            raise ModelLoadError(t("engine.err.export.onnx_load", folder=folder,
                                   reason=str(e).splitlines()[0][:160] if str(e) else type(e).__name__)) from None
        return cls(session, tokenizer, config, folder)

    def logits(self, texts: list[str], pairs: list[str] | None = None) -> np.ndarray:
        from tuneboard.predict.batching import encode, pad_arrays

        enc = encode(self.tokenizer, [str(t) for t in texts],
                     [str(t) for t in pairs] if pairs is not None else None, self.max_length)
        out: np.ndarray | None = None
        for idx in tight_batches(enc.lengths, self.batch_size):
            arrays = pad_arrays(enc, idx, multiple=1)
            arrays.setdefault("token_type_ids", np.zeros_like(arrays["input_ids"]))
            logits = self.session.run(["logits"], {k: arrays[k] for k in self.input_names})[0]
            if out is None:
                out = np.zeros((len(enc), logits.shape[1]), dtype=np.float32)
            out[idx] = logits
        return out if out is not None else np.zeros((0, max(len(self.labels), 1)), dtype=np.float32)

    def scores(self, texts: list[str], pairs: list[str] | None = None) -> np.ndarray:
        return to_scores(self.logits(texts, pairs), self.task, self.mean, self.std)


def validation_rows(run: RunDir, limit: int = PARITY_ROWS) -> Any:
    """The first ``limit`` rows of the run's ``predictions.parquet`` (text, label, PyTorch's scores)."""
    import pandas as pd

    path = run.path / RunFiles.PREDICTIONS
    if not path.is_file():
        raise RunError(t("engine.err.export.no_predictions", run_id=run.run_id))
    return pd.read_parquet(path).head(limit)


def parity_check(run: RunDir, predictor: Predictor) -> dict[str, Any]:
    """How the exported model agrees with the PyTorch model on the run's validation rows."""
    rows = validation_rows(run)
    pairs = rows["text_pair"].tolist() if "text_pair" in rows.columns else None
    start = time.perf_counter()
    scores = predictor.scores(rows["text"].tolist(), pairs)
    seconds = time.perf_counter() - start
    out: dict[str, Any] = {"rows": len(rows), "task": predictor.task, "seconds": round(seconds, 3),
                           "checked_at": time.time()}
    if predictor.task == "regression":
        torch_values = rows["predicted"].to_numpy(float)
        out |= {"max_abs_difference": float(np.abs(scores - torch_values).max()) if len(rows) else 0.0,
                "mae": float(np.abs(scores - rows["label"].to_numpy(float)).mean()) if len(rows) else None,
                "torch_mae": float(np.abs(torch_values - rows["label"].to_numpy(float)).mean()) if len(rows) else None}
        return out
    torch_scores = rows[[f"score_{n}" for n in predictor.labels]].to_numpy(float)
    if predictor.task == "multi_label":
        mine = ["|".join(predictor.labels[j] for j in np.flatnonzero(s >= 0.5)) for s in scores]
        theirs = ["|".join(predictor.labels[j] for j in np.flatnonzero(s >= 0.5)) for s in torch_scores]
    else:
        mine = [predictor.labels[j] for j in scores.argmax(axis=1)]
        theirs = [predictor.labels[j] for j in torch_scores.argmax(axis=1)]
    truth = rows["label"].astype(str).tolist()
    n = max(len(rows), 1)
    out |= {"label_agreement": sum(a == b for a, b in zip(mine, theirs, strict=True)) / n,
            "accuracy": sum(a == b for a, b in zip(mine, truth, strict=True)) / n,
            "torch_accuracy": sum(a == b for a, b in zip(theirs, truth, strict=True)) / n,
            "max_abs_difference": float(np.abs(scores - torch_scores).max()) if len(rows) else 0.0}
    return out


def read_parity(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(folder) / ModelFiles.PARITY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def export_onnx_zip(run_path: str | Path, fmt: str, dest_zip: Path | None = None) -> Path:
    """Export ``fmt`` (when not yet done) and zip its folder: model.onnx, tokenizer, config, parity."""
    run = open_run(run_path)
    folder = ensure_onnx(run.path, fmt)
    dest = Path(dest_zip) if dest_zip else default_export_path(run, fmt)
    try:
        with atomic_path(dest) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for p in regular_files(folder, run.path):  # no symlink, nothing outside the run folder
                if p.parent == folder:
                    zip_regular(zf, p, p.name, run.path,
                                zipfile.ZIP_STORED if p.suffix == ".onnx" else zipfile.ZIP_DEFLATED)
            zip_regular(zf, run.path / RunFiles.CONFIG, ModelFiles.EXPORTED_CONFIG, run.path)
            zf.writestr(ModelFiles.CARD, model_card(run, load=False) + _onnx_card(read_parity(folder)))
    except OSError as e:
        raise RunError(t("engine.err.export.cannot_write", dest=dest, reason=e.strerror or e)) from None
    return dest


def _onnx_card(parity: dict[str, Any] | None) -> str:
    lines = ["## Load it", "", "```python", "from tuneboard.serve.onnx import OnnxPredictor",
             'print(OnnxPredictor.load("my-model").predict(["your text here"]))',
             "# or plain onnxruntime: inputs input_ids, attention_mask, token_type_ids (int64); output logits",
             "```", ""]
    if parity:
        lines += ["## Parity with the PyTorch model", "", "```json", json.dumps(parity, indent=2), "```", ""]
    return "\n".join(lines)
