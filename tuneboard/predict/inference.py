"""Predict with a trained run: batched, sorted by length, on the best device."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tuneboard.errors import ModelLoadError, RunError, first_line
from tuneboard.i18n import t
from tuneboard.model.catalog import quiet_transformers
from tuneboard.paths import ModelFiles, RunFiles
from tuneboard.predict.batching import Encoded, encode, iterate, length_batches


def batched_logits(model: Any, enc: Encoded, batch_size: int, device: Any, amp: Any = None) -> np.ndarray:
    """Model outputs for every example, in the original order."""
    import torch

    out: np.ndarray | None = None
    was_training = model.training
    model.eval()
    with torch.inference_mode(), torch.autocast(device.type, dtype=amp or torch.float32, enabled=amp is not None):
        for idx, batch in iterate(enc, length_batches(enc.lengths, batch_size, shuffle=False), device):
            batch.pop("labels", None)
            logits = model(**batch).logits.float().cpu().numpy()
            if out is None:
                out = np.zeros((len(enc), logits.shape[1]), dtype=np.float32)
            out[idx] = logits
    model.train(was_training)
    return out if out is not None else np.zeros((0, 1), dtype=np.float32)


def inference_batch_size(device: Any) -> int:
    """Rows per forward pass when predicting. On CPU, 32 rows of similar length measured fastest
    (64 pads more and was slower); a GPU wants big batches."""
    return 256 if getattr(device, "type", "cpu") == "cuda" else 32


def to_scores(logits: np.ndarray, task: str, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """Probabilities (softmax / sigmoid) or de-normalised regression values."""
    if task == "regression":
        return logits[:, 0] * std + mean
    if task == "multi_label":
        return 1.0 / (1.0 + np.exp(-logits))
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Predictor:
    """A loaded model ready to predict. ``Predictor.load(run_dir)`` accepts a run or model folder."""

    def __init__(self, model: Any, tokenizer: Any, device: Any, amp: Any = None) -> None:
        self.model, self.tokenizer, self.device, self.amp = model, tokenizer, device, amp
        cfg = model.config
        self.task: str = getattr(cfg, "tuneboard_task", None) or task_from_problem_type(cfg.problem_type)
        self.labels: list[str] = [cfg.id2label[i] for i in range(cfg.num_labels)] if self.task != "regression" else []
        self.max_length: int = int(getattr(cfg, "tuneboard_max_length", 256))
        self.mean = float(getattr(cfg, "tuneboard_target_mean", 0.0))
        self.std = float(getattr(cfg, "tuneboard_target_std", 1.0))
        self.threshold = float(getattr(cfg, "tuneboard_threshold", 0.5))
        self.batch_size = inference_batch_size(device)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> "Predictor":
        from tuneboard.model.hf import names

        AutoModelForSequenceClassification, AutoTokenizer = names(  # noqa: N806
            "AutoModelForSequenceClassification", "AutoTokenizer")

        from tuneboard.model.device import inference_amp, pick_device
        from tuneboard.predict.baseline import is_baseline_folder

        p = Path(path)
        folder = p / RunFiles.MODEL if (p / RunFiles.MODEL).is_dir() else p
        if is_baseline_folder(folder):
            return BaselinePredictor(folder)
        if not (folder / ModelFiles.CONFIG).is_file():
            raise RunError(t("engine.err.predict.no_model", path=p))
        dev = pick_device(device)
        try:
            tok = AutoTokenizer.from_pretrained(folder, use_fast=True)
            with quiet_transformers():
                model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=False)
        except Exception as e:
            raise ModelLoadError(t("engine.err.predict.load", folder=folder, reason=first_line(e, 160))) from None
        model.to(dev).eval()
        return cls(model, tok, dev, inference_amp(dev))

    def scores(self, texts: list[str], pairs: list[str] | None = None) -> np.ndarray:
        enc = encode(self.tokenizer, [str(t) for t in texts],
                     [str(t) for t in pairs] if pairs is not None else None, self.max_length)
        logits = batched_logits(self.model, enc, self.batch_size, self.device, self.amp)
        return to_scores(logits, self.task, self.mean, self.std)

    def predict(self, texts: list[str], pairs: list[str] | None = None) -> list[dict[str, Any]]:
        """One dict per text: ``label`` (a name, a list of names, or a number) and ``scores``."""
        return self.label_results(texts, self.scores(texts, pairs))

    def label_results(self, texts: list[str], scores: np.ndarray) -> list[dict[str, Any]]:
        """``predict``'s answer from already computed ``scores`` (the server batches the forward pass)."""
        out = []
        for i, text in enumerate(texts):
            if self.task == "regression":
                out.append({"text": text, "label": float(scores[i]), "scores": {}})
                continue
            s = {name: float(scores[i, j]) for j, name in enumerate(self.labels)}
            if self.task == "multi_label":
                label: Any = [n for n, v in s.items() if v >= self.threshold]
            elif len(self.labels) == 2:  # binary: the saved threshold decides
                label = self.labels[1] if scores[i, 1] >= self.threshold else self.labels[0]
            else:
                label = self.labels[int(np.argmax(scores[i]))]
            out.append({"text": text, "label": label, "scores": s})
        return out

    def predict_frame(self, df: pd.DataFrame, text_column: str, pair_column: str | None = None) -> pd.DataFrame:
        """``df`` plus ``predicted_label`` and one ``score_<label>`` column per class."""
        texts = df[text_column].fillna("").astype(str).tolist()
        pairs = df[pair_column].fillna("").astype(str).tolist() if pair_column else None
        results = self.predict(texts, pairs)
        out = df.copy()
        out["predicted_label"] = ["|".join(r["label"]) if isinstance(r["label"], list) else r["label"] for r in results]
        for name in self.labels:
            out[f"score_{name}"] = [r["scores"][name] for r in results]
        return out


class BaselinePredictor(Predictor):
    """The TF-IDF model behind the same predict surface."""

    def __init__(self, folder: Path) -> None:  # noqa: D107 -- no torch model to hold
        from tuneboard.predict.baseline import Baseline

        self.model = Baseline.load(Path(folder))
        self.task, self.labels, self.threshold = self.model.task, self.model.labels, self.model.threshold
        self.device, self.tokenizer, self.amp = None, None, None

    def scores(self, texts: list[str], pairs: list[str] | None = None) -> np.ndarray:
        return self.model.scores([str(t) for t in texts], [str(t) for t in pairs] if pairs is not None else None)


def task_from_problem_type(problem_type: str | None) -> str:
    return {"multi_label_classification": "multi_label", "regression": "regression"}.get(
        problem_type or "", "single_label"
    )
