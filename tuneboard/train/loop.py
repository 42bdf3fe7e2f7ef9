"""Fine-tune a sequence classifier on a prepared split. Progress leaves only through ``emit``.

Our own small loop instead of the HF Trainer: it is measurably faster on CPU (length-bucketed
batches, a frozen embedding matrix, no per-step bookkeeping; see bench/RESULTS.md), it can halve
the batch after an out-of-memory error and go on from the same step, and it stops within one step.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tuneboard.config import TrainConfig
from tuneboard.data.prepare import PreparedData
from tuneboard.data.targets import encode_targets, regression_scaler, text_pairs
from tuneboard.errors import OutOfMemory, Stopped
from tuneboard.files import make_private
from tuneboard.i18n import t
from tuneboard.model import lora
from tuneboard.model.catalog import (
    dropout_overrides,
    load_classifier,
    load_tokenizer,
    quiet_transformers,
    resolve_model,
)
from tuneboard.model.device import amp_dtype, free_memory, inference_amp, is_oom, pick_device
from tuneboard.predict.batching import collate, encode_cached
from tuneboard.predict.inference import batched_logits, inference_batch_size, to_scores
from tuneboard.predict.metrics import compute_metrics, is_better, main_metric
from tuneboard.protocol import EarlyStop, Evaluation, Event, Notice, Phase, Start, TrainStep, scalars
from tuneboard.train import balance, distributed
from tuneboard.train.autobatch import choose_batch_size
from tuneboard.train.checkpoint import (
    Checkpoint,
    EpochPosition,
    epoch_queue,
    load_checkpoint,
    restore_rng,
    save_checkpoint,
)
from tuneboard.train.evalsample import eval_sample, subset
from tuneboard.train.steps import LossFn, Progress, lr_at, make_optimizer, seed_everything, train_step
from tuneboard.train.stopping import EarlyStopped, EarlyStopper, eval_steps

EventFn = Callable[[Event], None]
PROBLEM_TYPES = {"single_label": "single_label_classification", "multi_label": "multi_label_classification",
                 "regression": "regression"}


@dataclass
class EvalResult:
    """One evaluation of the model: its metrics (with ``eval_loss``), per-example scores, and when."""

    metrics: dict[str, Any]
    scores: np.ndarray
    step: int
    epoch: float


class Trainer:
    """One fine-tuning: ``encode()``, ``fit()``, ``evaluate()``, ``save()`` in that order."""

    loss_fn: LossFn | None = None  # None: the model's own loss; a subclass may train on other targets (distill.py)

    def __init__(self, config: TrainConfig, data: PreparedData, emit: EventFn, stop: threading.Event) -> None:
        self.cfg, self.data, self.emit, self.stop = config, data, emit, stop
        self.task = data.task
        self.device = pick_device(config.device)
        self.amp = amp_dtype(self.device, config.precision)  # the training steps'
        self.eval_amp = inference_amp(self.device, config.precision)  # evaluations': what the saved model predicts
        self.batch_size = int(config.batch_size)
        self.lr_scale = 1.0
        self.scaler = regression_scaler(self.task, data.train)  # None for classification
        self.best: EvalResult | None = None
        self.model: Any = None
        self.extras: dict[str, Any] = {}  # RunMetrics fields: stop_reason, class_weighting, imbalance_ratio, lora
        self.dist = distributed.current()  # DISTRIBUTED: this process's rank; one process: no-ops
        self._final: EvalResult | None = None  # the evaluation after the last step, on every row
        self._sample: tuple[np.ndarray, Any] | None = None  # (rows, their encoding) scored during training

    def encode(self, cache: Path, used_by: Path | None = None) -> None:
        """Load the tokenizer and tokenize both splits (token ids cached on disk under ``cache``; the
        entries are recorded in the run folder ``used_by`` so that deleting the run deletes them)."""
        self.source = resolve_model(self.cfg.model)
        self.tokenizer = load_tokenizer(self.source)
        self.train_enc, self.val_enc = (
            encode_cached(self.tokenizer, f["text"].tolist(), text_pairs(f), self.cfg.max_length,
                          encode_targets(f, self.task, self.data.labels, self.scaler), cache, used_by)
            for f in (self.data.train, self.data.val))

    def fit(self, checkpoints: Path | None = None, resume: bool = False) -> bool:
        """Train for the configured epochs, evaluating after each (or every ``eval_every`` steps) and
        keeping the best weights; stops early when the score stops improving (``early_stopping_patience``).
        Returns whether the user stopped it. With ``checkpoints``, a resumable checkpoint is saved there at
        each evaluation, and ``resume`` goes on from the latest one."""
        cfg = self.cfg
        seed_everything(cfg.seed)
        model = self.model = self._load_model()
        self._balance_classes()
        optimizer = make_optimizer(model, cfg, self.device)
        self.trainable = [q for q in model.parameters() if q.requires_grad]  # clipped every step
        saved = load_checkpoint(checkpoints, model, optimizer) if resume and checkpoints else None
        if saved is not None:
            self.batch_size, self.lr_scale = saved.batch_size, saved.lr_scale
        elif cfg.auto_batch_size:
            choose_batch_size(self, optimizer)
        self.net = self.dist.wrap(model, self.device)  # DISTRIBUTED: DDP averages gradients across ranks
        n, ranks = len(self.train_enc), self.dist.world_size
        self.emit(Start(device=str(self.device), amp=str(self.amp), task=self.task, labels=self.data.labels,
                        n_train=n, n_val=len(self.val_enc),
                        total_steps=math.ceil(math.ceil(n / self.batch_size) / ranks) * cfg.epochs,
                        batch_size=self.batch_size, epochs=cfg.epochs, model=self.source.name,
                        resumed_from=(saved.step if saved else 0) if resume else None))
        if self.dist.active:
            self.emit(Notice(message=self.dist.describe(self.batch_size)))
        self.p = Progress(total=n * cfg.epochs, n=n)
        self.checkpoints, self.optimizer = checkpoints, optimizer
        self.eval_steps, self.last_eval, self.best_state, stopped = eval_steps(cfg.eval_every), -1, None, False
        self.stopper = EarlyStopper(int(cfg.early_stopping_patience), cfg.early_stopping_min_delta,
                                    *main_metric(self.task))
        pos = EpochPosition(0, self.batch_size)
        if saved is not None:
            self.best_state, pos = self._restore(saved)
        try:
            while pos.epoch < cfg.epochs:
                self._epoch(optimizer, pos)
                done = EpochPosition(pos.epoch + 1, self.batch_size)
                if self.eval_steps is None or (done.epoch == cfg.epochs and self.last_eval != self.p.step):
                    self._eval_point(done)
                pos = done
        except Stopped:
            stopped = True
        except EarlyStopped:
            pass
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
        return stopped

    def _eval_point(self, pos: EpochPosition) -> None:
        """Evaluate, keep the weights when best, save a resumable checkpoint at ``pos``, and stop early when
        the score has stopped improving. DISTRIBUTED: rank 0 evaluates and checkpoints; every rank learns its
        decision to stop (the others would otherwise wait for it in the next step's gradient sync)."""
        self.last_eval, name, stalled = self.p.step, main_metric(self.task)[0], False
        if self.dist.is_main:
            result = self._evaluate()
            if self._record(result):
                self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
            stalled = self.stopper.update(result.metrics[name]) and self.p.seen < self.p.total
            self._checkpoint(pos)
        if self.dist.agree_any(stalled):
            reason = self.stopper.reason()
            self.extras["stop_reason"] = reason
            self.emit(EarlyStop(step=self.p.step, epoch=self.p.seen / self.p.n, metric=name,
                                best=self.stopper.best, best_step=self.best.step if self.best else None,
                                reason=reason, patience=self.stopper.patience, min_delta=self.stopper.min_delta))
            raise EarlyStopped()

    def _balance_classes(self) -> None:
        """Apply ``class_weighting`` (a weighted loss or balanced batches) and ``label_smoothing``; note what was
        done."""
        if self.task != "single_label" or self.loss_fn is not None:  # a subclass's own loss (distillation) wins
            return
        targets, k = self.train_enc.targets, len(self.data.labels)
        ratio = balance.imbalance_ratio(targets, k)
        how = balance.resolve(self.cfg.class_weighting, self.task, ratio)
        self.extras.update(class_weighting=how, imbalance_ratio=round(ratio, 2))
        if how == balance.WEIGHTED or self.cfg.label_smoothing:  # the model's own loss has neither
            weights = balance.class_weights(targets, k) if how == balance.WEIGHTED else None
            weighted = balance.weighted_loss(weights, self.device, self.cfg.label_smoothing)
            self.loss_fn = lambda outputs, batch: weighted(outputs.logits, batch["labels"])
        if how != balance.NONE or ratio >= balance.AUTO_RATIO:
            self.emit(Notice.of(f"engine.notice.imbalance.{how}", ratio=f"{ratio:.1f}",
                                setting=self.cfg.class_weighting))

    def evaluate(self) -> EvalResult:
        """The kept model's evaluation on every validation row (evaluated now when a stop came before the
        first one, or when the kept evaluation scored the sample: ``fit`` left the kept weights in place)."""
        if self.best is None:
            self._record(self._evaluate())
        best = self.best
        assert best is not None
        if len(best.scores) == len(self.val_enc):
            return best
        if self._final is not None and self._final.step == best.step:
            return self._final
        logits = self._logits(self.val_enc)
        return self._result(logits, np.array(self.val_enc.targets), best.step, best.epoch)

    def save(self, folder: Path) -> None:
        """The model and tokenizer (``save_pretrained``, safetensors) with what Tuneboard needs to
        predict: the task, the max length and the regression scaler."""
        cfg = (self.model.get_base_model() if lora.is_lora(self.model) else self.model).config
        cfg.tuneboard_task = self.task
        cfg.tuneboard_max_length = int(self.cfg.max_length)
        if self.scaler is not None:
            cfg.tuneboard_target_mean, cfg.tuneboard_target_std = self.scaler.mean, self.scaler.std
        with quiet_transformers():
            if lora.is_lora(self.model):  # the adapter beside model/, then the merged plain model in model/
                size = lora.save_adapter(self.model, Path(folder).parent / lora.ADAPTER_DIR)
                self.extras["lora"] = {**self.extras.get("lora", {}), "adapter_bytes": size}
                self.model = lora.merged(self.model)
            self.model.save_pretrained(folder, safe_serialization=True)
            self.tokenizer.save_pretrained(folder)
        make_private(folder)  # transformers writes with the umask's modes; the labels are in its config.json

    def throughput(self) -> dict[str, Any]:
        """Speed figures of the run, as ``RunMetrics`` fields."""
        p = self.p
        return {"train_runtime_s": p.train_time, "train_samples_per_second": p.seen / max(p.train_time, 1e-9),
                "train_cpu_s": p.cpu_time, "train_tokens_per_second": p.tokens / max(p.train_time, 1e-9),
                "wall_time_s": time.perf_counter() - p.t0, "batch_size_final": self.batch_size}

    # -- pieces ----------------------------------------------------------------------------
    def _epoch(self, optimizer: Any, pos: EpochPosition) -> None:
        """One pass over the training set in length-bucketed batches, from ``pos`` on (moved as batches are
        consumed); stops at the next step when asked."""
        import torch

        cfg, p, lengths, model = self.cfg, self.p, self.train_enc.lengths, self.model
        model.train()
        if self.extras.get("class_weighting") == balance.SAMPLING:  # (a resume re-cuts at the saved size)
            batches = balance.balanced_batches(self.train_enc.targets, lengths, pos.order_batch_size,
                                               cfg.seed + pos.epoch)
            queue = deque(batches[pos.batches_done:])
        else:
            queue = epoch_queue(lengths, pos, self.batch_size, cfg.seed)
        loss_sum, loss_n, last_log = torch.zeros((), device=self.device), 0, time.perf_counter()
        while queue:
            if self.dist.should_stop(self.stop.is_set()):  # DISTRIBUTED: all ranks stop after the same step
                raise Stopped()
            idx, step = self.dist.take(queue)  # DISTRIBUTED: this rank's batch of the step, the step's batches
            ts, cs = time.perf_counter(), time.process_time()
            batch = collate(self.train_enc, idx, self.device, self.target_dtype)
            try:
                loss = train_step(self.net, batch, self.amp, self.loss_fn)
            except Exception as e:
                if not is_oom(e):
                    raise
                del batch
                optimizer.zero_grad(set_to_none=True)
                queue = self._shrink_batch(queue, idx)
                continue
            torch.nn.utils.clip_grad_norm_(self.trainable, 1.0)
            lr = lr_at(cfg.learning_rate * self.lr_scale, p.seen / p.total, cfg.warmup_ratio)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            samples = sum(len(b) for b in step)  # all ranks' real samples: the schedule runs by samples seen
            p.advance(samples, sum(int(lengths[b].sum()) for b in step), time.perf_counter() - ts,
                      time.process_time() - cs)
            pos.batches_done, pos.samples_done = pos.batches_done + len(step), pos.samples_done + samples
            loss_sum += loss
            loss_n += 1
            if time.perf_counter() - last_log >= 0.5 or not queue:  # ~2 points a second for the live chart
                self._log_train(float(loss_sum / loss_n), lr)
                loss_sum, loss_n, last_log = torch.zeros((), device=self.device), 0, time.perf_counter()
            if self.eval_steps and p.step % self.eval_steps == 0:
                self._eval_point(pos)

    def _record(self, result: EvalResult) -> bool:
        """Emit an evaluation; remember it if it is the best so far (returns whether it is)."""
        name = main_metric(self.task)[0]
        improved = is_better(self.task, result.metrics[name], self.best.metrics[name] if self.best else None)
        if improved:
            self.best = result
        numbers = {k: v for k, v in scalars(result.metrics).items() if k != "eval_loss"}
        self.emit(Evaluation(is_best=improved, metrics=numbers, eval_loss=result.metrics["eval_loss"],
                             step=result.step, epoch=result.epoch))
        return improved

    def _checkpoint(self, pos: EpochPosition) -> None:
        """Save what a resume needs; a checkpoint that cannot be written costs the resume, not the run."""
        folder, optimizer, best_state = self.checkpoints, self.optimizer, self.best_state
        if folder is None or self.p.seen >= self.p.total:  # after the last step: the model is saved next
            return
        best, p = self.best, self.p
        state = Checkpoint(position=pos, batch_size=self.batch_size, lr_scale=self.lr_scale,
                           progress={"seen": p.seen, "step": p.step, "tokens": p.tokens, "train_time": p.train_time,
                                     "cpu_time": p.cpu_time, "elapsed": time.perf_counter() - p.t0},
                           best={"metrics": best.metrics, "step": best.step, "epoch": best.epoch} if best else None,
                           best_scores=best.scores if best else None, best_weights=best_state,
                           extra={"stopper": {"best": self.stopper.best, "bad": self.stopper.bad},
                                  "last_eval": self.last_eval})
        try:
            save_checkpoint(folder, self.model, optimizer, state)
        except OSError as e:
            self.emit(Notice.of("engine.notice.checkpoint_failed", level="warning", reason=e.strerror or str(e)))

    def _restore(self, saved: Checkpoint) -> tuple[dict | None, EpochPosition]:
        """Counters, best evaluation and RNG from a checkpoint (weights and optimizer are in place already)."""
        c = saved.progress
        self.p = Progress(total=self.p.total, n=self.p.n, seen=int(c["seen"]), step=int(c["step"]),
                          tokens=int(c["tokens"]), train_time=c["train_time"], cpu_time=c["cpu_time"],
                          t0=time.perf_counter() - c["elapsed"])
        if saved.best is not None:
            self.best = EvalResult(saved.best["metrics"], saved.best_scores, saved.best["step"], saved.best["epoch"])
        self.emit(Notice.of("engine.notice.resumed", step=saved.step, done=f"{self.p.seen / self.p.n:.2f}",
                            epochs=self.cfg.epochs))
        stopper = saved.extra.get("stopper") or {}
        self.stopper.best, self.stopper.bad = stopper.get("best"), int(stopper.get("bad", 0))
        self.last_eval = int(saved.extra.get("last_eval", -1))
        restore_rng(saved.rng)  # last: nothing may draw a random number between this and the next step
        return saved.best_weights, saved.position

    @property
    def target_dtype(self) -> Any:
        import torch

        return torch.long if self.task == "single_label" else torch.float32

    def _load_model(self) -> Any:
        labels = self.data.labels
        num = 1 if self.task == "regression" else len(labels)
        id2label = {i: n for i, n in enumerate(labels)} if labels else None
        cfg = self.cfg
        dropout = dropout_overrides(self.source, cfg.hidden_dropout, cfg.attention_dropout)
        model = load_classifier(self.source, num, PROBLEM_TYPES[self.task], id2label, dropout)
        if cfg.lora:  # base weights frozen by peft, embeddings included
            model = lora.apply_lora(model, cfg.lora_rank, cfg.lora_alpha, cfg.lora_dropout)
            trainable, total = lora.trainable_parameters(model)
            self.extras["lora"] = {"rank": cfg.lora_rank, "alpha": cfg.lora_alpha, "trainable_parameters": trainable,
                                   "parameters": total}
            self.emit(Notice.of("engine.notice.lora", rank=cfg.lora_rank, trainable=f"{trainable:,}",
                                total=f"{total:,}", share=f"{trainable / total:.1%}"))
        elif cfg.freeze_embeddings:
            model.get_input_embeddings().weight.requires_grad_(False)
        return model.to(self.device)

    def _shrink_batch(self, queue: deque, idx: list[int]) -> deque:
        if self.device.type == "cuda":  # a full gc costs ~0.5 s; only the CUDA cache needs it
            free_memory()
        if self.dist.active:  # DISTRIBUTED: one rank cannot re-cut its batches alone; the ranks would drift apart
            raise OutOfMemory(t("engine.err.memory.per_process", device=self.device.type.upper(),
                                rows=self.batch_size)) from None
        if self.batch_size == 1:
            raise OutOfMemory(t("engine.err.memory.batch_of_one_on", device=self.device.type.upper())) from None
        self.batch_size = max(1, self.batch_size // 2)
        rest = [i for b in [idx, *queue] for i in b]
        self.emit(Notice.of("engine.notice.out_of_memory", level="warning", batch=self.batch_size))
        return deque(rest[i:i + self.batch_size] for i in range(0, len(rest), self.batch_size))

    def _log_train(self, loss: float, lr: float) -> None:
        p = self.p
        progress = p.seen / p.total
        elapsed = time.perf_counter() - p.t0
        gpu = None
        if self.device.type == "cuda":
            import torch

            gpu = torch.cuda.max_memory_allocated() / 2**30
        self.emit(TrainStep(step=p.step, epoch=p.seen / p.n, loss=loss, learning_rate=lr,
                            samples_per_second=p.seen / max(p.train_time, 1e-9),
                            tokens_per_second=p.tokens / max(p.train_time, 1e-9), progress=progress,
                            elapsed=elapsed, eta=elapsed / progress * (1 - progress) if progress else None,
                            batch_size=self.batch_size, gpu_memory_gb=gpu))

    def _evaluate(self) -> EvalResult:
        """Score the validation split. During training, a large split is scored on a stratified sample
        (``evalsample``): the sample is what "best" and early stopping watch. The evaluation after the last
        step scores every row (kept as ``_final`` for ``evaluate()``, whose numbers metrics.json reports)
        and returns the sample's part of it, so that "best" compares like with like."""
        sample = self._eval_sample()
        final = self.p.seen >= self.p.total
        if sample is None or final:
            logits, y = self._logits(self.val_enc), np.array(self.val_enc.targets)  # a writable copy for torch
        else:
            logits, y = self._logits(sample[1]), np.array(sample[1].targets)
        if sample is not None and final:
            self._final = self._result(logits, y)
            logits, y = logits[sample[0]], y[sample[0]]
        return self._result(logits, y)

    def _eval_sample(self) -> tuple[np.ndarray, Any] | None:
        """The rows scored during training and their encoding (``None``: every row); said once in a notice."""
        if self._sample is None:
            rows = eval_sample(self.val_enc.targets, self.task, self.cfg.seed)
            if rows is None:
                return None
            self._sample = rows, subset(self.val_enc, rows)
            self.emit(Notice.of("engine.notice.eval_sample", rows=len(rows), total=len(self.val_enc)))
        return self._sample

    def _logits(self, enc: Any) -> np.ndarray:
        t0 = time.perf_counter()
        logits = batched_logits(self.model, enc, inference_batch_size(self.device), self.device, self.eval_amp)
        self.emit(Phase(name="evaluation", seconds=time.perf_counter() - t0, rows=len(enc)))
        return logits

    def _result(self, logits: np.ndarray, y: np.ndarray, step: int | None = None,
                epoch: float | None = None) -> EvalResult:
        """Loss and metrics of ``logits`` against the encoded targets ``y``."""
        import torch

        t = torch.from_numpy(logits)
        if self.task == "single_label":
            loss = torch.nn.functional.cross_entropy(t, torch.from_numpy(y))
        elif self.task == "multi_label":
            loss = torch.nn.functional.binary_cross_entropy_with_logits(t, torch.from_numpy(y))
        else:
            loss = torch.nn.functional.mse_loss(t[:, 0], torch.from_numpy(y))
        if self.scaler is not None:  # regression: scores and targets back in the data's units
            scores, y = to_scores(logits, self.task, self.scaler.mean, self.scaler.std), self.scaler.unscale(y)
        else:
            scores = to_scores(logits, self.task)
        metrics = compute_metrics(self.task, self.data.labels, y, scores)
        metrics["eval_loss"] = float(loss)
        return EvalResult(metrics, scores, self.p.step if step is None else step,
                          self.p.seen / self.p.n if epoch is None else epoch)
