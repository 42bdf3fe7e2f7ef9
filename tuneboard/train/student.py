"""The student's side of a distillation (see distill.py): how it is built, what it learns from, its loss.

``DistillTrainer`` is the ``Trainer`` that ``training.execute`` uses for a run whose ``trainer`` is "distill" (its
recipe: ``config.distill``): the teacher's logits, computed once before training, join the training targets,
optionally with unlabeled rows that only the teacher labels, and ``distillation_loss`` mixes the
teacher's soft labels with the true ones.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tuneboard.config import TrainConfig
from tuneboard.data.prepare import PreparedData, detect_columns
from tuneboard.data.targets import encode_targets, text_pairs
from tuneboard.errors import DataError
from tuneboard.i18n import t
from tuneboard.model.catalog import quiet_transformers
from tuneboard.paths import RunFiles
from tuneboard.predict.batching import Encoded, encode_cached
from tuneboard.predict.inference import Predictor, batched_logits, inference_batch_size
from tuneboard.protocol import Notice
from tuneboard.train.loop import Trainer


def build_student(teacher_model_dir: str | Path, layers: int) -> Any:
    """The teacher's classifier cut to its first ``layers`` encoder layers: its embeddings, those layers
    (and pooler) and its head are the teacher's weights; the layers above are left out."""
    from tuneboard.model.hf import names

    AutoConfig, AutoModelForSequenceClassification = names("AutoConfig", "AutoModelForSequenceClassification")  # noqa: N806

    cfg = AutoConfig.from_pretrained(teacher_model_dir, trust_remote_code=False)
    cfg.num_hidden_layers = int(layers)
    if hasattr(cfg, "tuneboard_threshold"):  # the teacher's decision threshold need not suit the student
        del cfg.tuneboard_threshold
    with quiet_transformers():  # "unused weights" of the dropped layers is expected
        return AutoModelForSequenceClassification.from_pretrained(teacher_model_dir, config=cfg,
                                                                  trust_remote_code=False)


def distillation_loss(logits: Any, packed: Any, task: str, temperature: float, alpha: float) -> Any:
    """``alpha * soft + (1 - alpha) * hard``. ``packed`` rows are ``[has_label, hard target(s), teacher
    logits]``: the soft term (KL at temperature T, times T^2 so its gradients keep their scale) covers
    every row, the hard term only rows with a true label."""
    import torch
    import torch.nn.functional as F

    k, t = logits.shape[1], float(temperature)
    s = logits.float()
    has, hard, teacher = packed[:, 0], packed[:, 1:-k], packed[:, -k:].float()
    if task == "single_label":
        soft = F.kl_div(F.log_softmax(s / t, -1), F.log_softmax(teacher / t, -1), log_target=True,
                        reduction="batchmean")
        per_row = F.cross_entropy(s, hard[:, 0].long(), reduction="none")
    else:  # multi-label: each class a Bernoulli; KL = BCE(student, p) - BCE(teacher, p)
        p = torch.sigmoid(teacher / t)
        soft = (F.binary_cross_entropy_with_logits(s / t, p) - F.binary_cross_entropy_with_logits(teacher / t, p))
        per_row = F.binary_cross_entropy_with_logits(s, hard.float(), reduction="none").mean(1)
    hard_loss = (per_row * has).sum() / has.sum().clamp(min=1.0)
    return alpha * soft * t * t + (1.0 - alpha) * hard_loss


class DistillTrainer(Trainer):
    """``Trainer`` for a student: the teacher's logits (and any unlabeled rows) join the training
    targets, the loss is ``distillation_loss``, and the model is the cut teacher or the student folder."""

    def __init__(self, config: TrainConfig, data: PreparedData, emit: Any, stop: threading.Event) -> None:
        super().__init__(config, data, emit, stop)
        assert config.distill is not None  # TrainConfig refuses a "distill" trainer without its recipe
        self.recipe = config.distill
        t, a = float(self.recipe.temperature), float(self.recipe.alpha)
        self.loss_fn = lambda out, batch: distillation_loss(out.logits, batch["labels"], self.task, t, a)

    @property
    def target_dtype(self) -> Any:
        import torch

        return torch.float32  # packed rows: flag, true target(s), teacher logits

    def encode(self, cache: Path, used_by: Path | None = None) -> None:
        """Tokenize as usual, then add the unlabeled rows and pack the teacher's logits into the targets."""
        super().encode(cache, used_by)
        if not self.recipe.student:  # "model" is the folder's name; say what the student is
            name = f"first {self.recipe.layers} layers of {self.recipe.teacher_run}"
            self.source = replace(self.source, name=name)
        cfg, data = self.cfg, self.data
        texts, pairs = data.train["text"].tolist(), text_pairs(data.train)
        hard = encode_targets(data.train, self.task, data.labels).reshape(len(texts), -1)
        has = np.ones(len(texts), dtype=np.float32)
        if self.recipe.unlabeled:
            extra = unlabeled_rows(self.recipe.unlabeled, cfg, data)
            self.emit(Notice.of("engine.notice.distill_unlabeled", unlabeled=len(extra), labeled=len(texts)))
            more = encode_cached(self.tokenizer, extra["text"].tolist(), text_pairs(extra), cfg.max_length, None, cache,
                                 used_by)
            self.train_enc = join(self.train_enc, more)
            texts, pairs = texts + extra["text"].tolist(), (pairs + extra["text_pair"].tolist()) if pairs else None
            hard = np.vstack([hard, np.zeros((len(extra), hard.shape[1]), dtype=hard.dtype)])
            has = np.concatenate([has, np.zeros(len(extra), dtype=np.float32)])
        logits = teacher_logits(self.recipe.teacher_path, texts, pairs, self.device, cache)
        self.train_enc.targets = np.column_stack([has, hard.astype(np.float32), logits]).astype(np.float32)

    def _load_model(self) -> Any:
        if self.recipe.student:
            return super()._load_model()
        model = build_student(Path(self.recipe.teacher_path) / RunFiles.MODEL, int(self.recipe.layers))
        if self.cfg.freeze_embeddings:
            model.get_input_embeddings().weight.requires_grad_(False)
        return model.to(self.device)

    def throughput(self) -> dict[str, Any]:
        """The run's speed figures plus ``distilled_from`` (the ``RunMetrics`` fields a student adds)."""
        return {**super().throughput(), "distilled_from": self.recipe.teacher_run}


def teacher_logits(teacher_path: str | Path, texts: list[str], pairs: list[str] | None, device: Any,
                   cache: Path | None = None) -> np.ndarray:
    """The teacher's raw outputs on ``texts``, computed once (its own tokenizer and max length)."""
    from tuneboard.model.device import free_memory

    teacher = Predictor.load(teacher_path, device=device.type)
    enc = encode_cached(teacher.tokenizer, texts, pairs, teacher.max_length, None, cache)
    logits = batched_logits(teacher.model, enc, inference_batch_size(device), device, teacher.amp)
    del teacher
    free_memory()
    return logits


def unlabeled_rows(path: str | Path, cfg: TrainConfig, data: PreparedData) -> Any:
    """Rows of an unlabeled file as a frame with ``text`` (and ``text_pair``): the teacher's text column
    when the file has it, else the detected one; empty texts and validation texts (a leak) left out."""
    from tuneboard.data.readers import read_table

    df, _ = read_table(str(path))
    column = cfg.text_column if cfg.text_column in df.columns else detect_columns(df)[0]
    if column is None or column not in df.columns:
        raise DataError(t("engine.err.student.no_text", name=Path(path).name, col=cfg.text_column))
    out = df[[column]].rename(columns={column: "text"})
    if cfg.text_pair_column:
        if cfg.text_pair_column not in df.columns:
            raise DataError(t("engine.err.student.no_pair", col=cfg.text_pair_column))
        out["text_pair"] = df[cfg.text_pair_column].fillna("").astype(str)
    out["text"] = out["text"].fillna("").astype(str).str.strip()
    out = out[(out["text"] != "") & ~out["text"].isin(set(data.val["text"]))].reset_index(drop=True)
    if out.empty:
        raise DataError(t("engine.err.student.no_rows", name=Path(path).name))
    return out


def join(a: Encoded, b: Encoded) -> Encoded:
    """Two encodings of the same tokenizer, one after the other (targets are set afterwards)."""
    both = a.token_type_ids is not None and b.token_type_ids is not None
    types = a.token_type_ids + b.token_type_ids if both else None
    return Encoded(a.input_ids + b.input_ids, types, None, a.pad_id)
