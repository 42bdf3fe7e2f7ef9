"""Few-shot training, the SetFit recipe, for a handful of labels per class; the result is a normal run.

SetFit (Tunstall et al., 2022) first fine-tunes the sentence encoder contrastively -- pairs of texts of the
same class pulled together, of different classes pushed apart -- and then fits a classifier head on the
encoder's embeddings with the encoder frozen. ``FewShotTrainer`` does exactly that inside a standard
``AutoModelForSequenceClassification``, so the saved folder is what every fine-tuned run saves (safetensors,
config, tokenizer) and Evaluate, Predict, export and serve read it unchanged:

1. contrastive phase: cosine-similarity loss on pairs (SetFit's ``CosineSimilarityLoss``), on the mean of
   the tokens (the sentence embedding the encoder was trained for) and on the pooled output the classifier
   head reads, so that the head's input learns the classes too;
2. head: logistic regression on the pooled outputs, copied into the head's linear layer; then the normal
   training loop trains the head (pooler + classifier) with the encoder frozen, keeping the best epoch.

Not the ``setfit`` package's trainer: it runs the HF Trainer (its own loop, which cannot stop within a step
or report through our events) and saves its default head as a joblib pickle, which a shared server must
never load. The recipe itself is the few lines below.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np

from tuneboard.config import TrainConfig
from tuneboard.data.prepare import PreparedData
from tuneboard.errors import ConfigError, Stopped
from tuneboard.i18n import t
from tuneboard.protocol import BASELINE_MODEL, Notice, Phase
from tuneboard.train.loop import Trainer
from tuneboard.train.methods import AUTO, FEWSHOT, FEWSHOT_BELOW, FINETUNE

PAIRS_PER_TEXT = 20  # SetFit's num_iterations: each text in 20 positive and 20 negative pairs...
# ...up to this many pairs (40 steps). A step (16 pairs, 64 tokens) of MiniLM costs ~2-3 CPU seconds, measured:
# SetFit's 20 rounds on 320 texts would be 800 steps, most of an hour on 2 cores.
MAX_PAIRS = 640
PAIR_BATCH = 16  # SetFit's default batch of pairs
BODY_LR = 2e-5  # SetFit's body learning rate
HEAD_C = 10.0  # the instant model's regularisation, for the logistic-regression start of the head


def trainer_kind(config: TrainConfig, data: PreparedData) -> str:
    """``fewshot`` or ``finetune`` for this run. ``config.trainer``: ``fewshot``, ``finetune``
    (also when absent) or ``auto``: few-shot when a single-label task has under ``FEWSHOT_BELOW`` training
    labels in some class."""
    kind = str(config.trainer or FINETUNE)
    fits = data.task == "single_label" and "text_pair" not in data.train.columns and config.model != BASELINE_MODEL
    if kind == FEWSHOT and not fits:
        raise ConfigError(t("fewshot.err.task"))
    if kind == AUTO:
        fewest = int(data.train["label"].astype(str).value_counts().min()) if len(data.train) else 0
        return FEWSHOT if fits and fewest < FEWSHOT_BELOW else FINETUNE
    return kind


def contrastive_pairs(targets: np.ndarray, seed: int, per_text: int = PAIRS_PER_TEXT,
                      max_pairs: int = MAX_PAIRS) -> list[tuple[int, int, float]]:
    """(row, row, 1.0 same class / 0.0 different) pairs, SetFit's way: in each round every row gets one
    partner of its class and one of another class, rounds until ``per_text`` or ``max_pairs``."""
    rng = np.random.default_rng(seed)
    targets = np.asarray(targets)
    by_class = {c: np.flatnonzero(targets == c) for c in np.unique(targets)}
    pairs: list[tuple[int, int, float]] = []
    for _ in range(per_text):
        for i in rng.permutation(len(targets)):
            same, other = by_class[targets[i]], np.flatnonzero(targets != targets[i])
            if len(same) > 1:
                pairs.append((int(i), int(rng.choice(same[same != i])), 1.0))
            if len(other):
                pairs.append((int(i), int(rng.choice(other)), 0.0))
            if len(pairs) >= max_pairs:
                return pairs[:max_pairs]
    return pairs


class FewShotTrainer(Trainer):
    """``Trainer`` for the SetFit recipe: ``fit`` runs the contrastive phase on the encoder, starts the
    head from logistic regression, then trains the head with the encoder frozen in the normal loop."""

    def __init__(self, config: TrainConfig, data: PreparedData, emit: Any, stop: threading.Event) -> None:
        super().__init__(config, data, emit, stop)
        self.extras["model_kind"] = FEWSHOT
        self._tuned: Any = None

    def fit(self, checkpoints: Any = None, resume: bool = False) -> bool:
        from tuneboard.train.checkpoint import has_checkpoint
        from tuneboard.train.steps import seed_everything

        if not (resume and checkpoints is not None and has_checkpoint(checkpoints.parent)):
            seed_everything(self.cfg.seed)
            model = super()._load_model()
            try:
                self._contrastive(model)
            except Stopped:  # the loop below stops before its first step and keeps this model, as any stop does
                pass
            self._start_head(model)
            self._tuned = model
        return super().fit(checkpoints, resume)

    def _load_model(self) -> Any:
        """The contrastively tuned model (or, on a resume, a fresh one the checkpoint fills) with the encoder
        frozen: only the pooler and the classifier learn in the normal loop."""
        model, self._tuned = (self._tuned if self._tuned is not None else super()._load_model()), None
        for p in model.base_model.parameters():
            p.requires_grad_(False)
        pooler = getattr(model.base_model, "pooler", None)
        for p in pooler.parameters() if pooler is not None else ():
            p.requires_grad_(True)
        return model

    def _contrastive(self, model: Any) -> None:
        """Cosine-similarity loss on pairs of training texts, on mean-pooled and pooled outputs."""
        import torch

        texts = self.data.train["text"].astype(str).tolist()
        pairs = contrastive_pairs(np.asarray(self.train_enc.targets), self.cfg.seed)
        self.emit(Notice.of("fewshot.notice.contrastive", pairs=len(pairs), texts=len(texts),
                            steps=math.ceil(len(pairs) / PAIR_BATCH)))
        body = model.base_model
        params = [p for p in body.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=BODY_LR)
        t0 = time.perf_counter()
        body.train()
        for start in range(0, len(pairs), PAIR_BATCH):
            if self.stop.is_set():
                raise Stopped()
            chunk = pairs[start:start + PAIR_BATCH]
            rows = [a for a, _, _ in chunk] + [b for _, b, _ in chunk]
            mean, pooled = self._sentence(body, [texts[r] for r in rows])
            target = torch.tensor([s for _, _, s in chunk], device=self.device)
            loss = sum(torch.nn.functional.mse_loss(torch.cosine_similarity(x[:len(chunk)], x[len(chunk):]), target)
                       for x in (mean, pooled))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        body.eval()
        self.emit(Phase(name="contrastive", seconds=time.perf_counter() - t0, rows=len(pairs)))

    def _sentence(self, body: Any, texts: list[str]) -> tuple[Any, Any]:
        """Mean of the tokens (sentence-transformers' pooling) and the pooler's output (what the head reads)."""
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=int(self.cfg.max_length),
                               return_tensors="pt").to(self.device)
        out = body(**batch)
        mask = batch["attention_mask"].unsqueeze(-1).to(out.last_hidden_state.dtype)
        mean = (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = out.pooler_output if getattr(out, "pooler_output", None) is not None else out.last_hidden_state[:, 0]
        return mean, pooled

    def _start_head(self, model: Any) -> None:
        """Logistic regression on the pooled outputs of the training texts, copied into the classifier."""
        import torch
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        texts = self.data.train["text"].astype(str).tolist()
        y = np.asarray(self.train_enc.targets)
        head = getattr(model, "classifier", None)
        if not isinstance(head, torch.nn.Linear) or len(np.unique(y)) < 2:
            return  # another head shape: the normal loop trains it from its random start
        with torch.inference_mode():
            x = np.concatenate([self._sentence(model.base_model, texts[i:i + 64])[1].float().cpu().numpy()
                                for i in range(0, len(texts), 64)])
        with threadpool_limits(limits=1, user_api="blas"):  # one thread: see predict/baseline.py
            lr = LogisticRegression(max_iter=2000, C=HEAD_C, random_state=self.cfg.seed).fit(x, y)
        weight = np.zeros((head.out_features, x.shape[1]), dtype=np.float32)
        bias = np.zeros(head.out_features, dtype=np.float32)
        classes = lr.classes_.astype(int)
        if len(classes) == 2 and lr.coef_.shape[0] == 1:  # binary: one row, for classes_[1]
            weight[classes[1]], bias[classes[1]] = lr.coef_[0], lr.intercept_[0]
        else:
            weight[classes], bias[classes] = lr.coef_, lr.intercept_
        with torch.no_grad():
            head.weight.copy_(torch.from_numpy(weight))
            head.bias.copy_(torch.from_numpy(bias))
