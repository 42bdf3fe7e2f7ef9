"""Fine-tune a sequence classifier. Progress leaves only through ``on_event``.

Our own small loop instead of the HF Trainer: it is measurably faster on CPU (length-bucketed
batches, a frozen embedding matrix, no per-step bookkeeping; see bench/RESULTS.md), it can halve
the batch after an out-of-memory error and go on from the same step, and it stops within one step.
"""
from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .baseline import BASELINE_MODEL, fit_baseline
from .batching import Encoded, collate, encode_cached, length_batches
from .catalog import ModelSource, load_classifier, load_tokenizer, quiet_transformers, resolve_model
from .config import TrainConfig
from .data import PreparedData, prepare_data
from .device import amp_dtype, free_memory, is_oom, pick_device
from .errors import OutOfMemory, Stopped, TuneboardError
from .evaluation import predictions_frame
from .inference import batched_logits, inference_batch_size, to_scores
from .metrics import compute_metrics, is_better, main_metric
from .runs import RunDir, create_run

EventFn = Callable[[dict[str, Any]], None]
PROBLEM_TYPES = {"single_label": "single_label_classification", "multi_label": "multi_label_classification",
                 "regression": "regression"}


@dataclass
class RunResult:
    run: RunDir
    status: str
    metrics: dict[str, Any]


def check_config(config: TrainConfig) -> PreparedData:
    """Everything that can be checked before a run starts (the CLI and the Train page both call it)."""
    data = prepare_data(config)
    device = pick_device(config.device)
    if config.model != BASELINE_MODEL:
        check_memory(config, device)
    return data


def check_memory(config: TrainConfig, device: Any) -> dict[str, Any]:
    """Estimate the run's memory and refuse it when it clearly cannot fit (raises ``OutOfMemory``)."""
    from .catalog import describe_model
    from .device import device_info
    from .memory import estimate_for, fit_verdict

    card = describe_model(config.model)  # also fails early, in one line, for an unreachable hub id
    est = estimate_for(card, int(config.batch_size), int(config.max_length), bool(config.freeze_embeddings),
                       half_precision=amp_dtype(device) is not None)
    verdict, advice = fit_verdict(est, float(device_info()["free_gb"]))
    if verdict == "no" and not (device.type == "cuda" and config.auto_batch_size):
        raise OutOfMemory(advice)
    return {"estimate": est.to_dict(), "verdict": verdict, "advice": advice}


def execute(config: TrainConfig, on_event: EventFn | None = None, stop: threading.Event | None = None,
            run: RunDir | None = None, data: PreparedData | None = None) -> RunResult:
    """Prepare, train, evaluate and save one run. Bad input raises before a folder is made
    (unless ``run`` is given); afterwards every outcome is written to the run's status."""
    stop = stop or threading.Event()
    if run is None:
        data = data or check_config(config)
        run = create_run(config)

    def emit(event: dict[str, Any]) -> None:
        event.setdefault("time", time.time())
        run.append_event(event)
        if on_event:
            on_event(event)

    try:
        data = data or check_config(config)
        run.set_status("running")
        emit({"type": "status", "status": "running"})
        for note in data.notes + data.warnings:
            emit({"type": "notice", "message": note})
        metrics, stopped = _Fit(config, data, emit, stop).run(run)
        status = "stopped" if stopped else "completed"
        run.set_status(status, "Stopped by the user; the best model so far was kept." if stopped else None)
        emit({"type": "status", "status": status})
        return RunResult(run, status, metrics)
    except TuneboardError as e:
        run.set_status("failed", str(e))
        emit({"type": "status", "status": "failed", "reason": str(e)})
        raise
    except BaseException as e:
        reason = f"Unexpected error ({type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''})."
        run.set_status("failed", reason)
        emit({"type": "status", "status": "failed", "reason": reason})
        raise
    finally:
        free_memory()


class _Fit:
    """One training run's state; ``run()`` does the work."""

    def __init__(self, config: TrainConfig, data: PreparedData, emit: EventFn, stop: threading.Event) -> None:
        self.cfg, self.data, self.emit, self.stop = config, data, emit, stop
        self.task = data.task
        self.device = pick_device(config.device)
        self.amp = amp_dtype(self.device)
        self.batch_size = int(config.batch_size)
        self.lr_scale = 1.0

    def run(self, run: RunDir) -> tuple[dict[str, Any], bool]:
        """Train, keep the best evaluation's weights, save; returns (metrics, stopped)."""
        cfg = self.cfg
        _seed_everything(cfg.seed)
        self.baseline = self._fit_baseline(run)
        if cfg.model == BASELINE_MODEL:
            return self._baseline_only(run), False
        source = resolve_model(cfg.model)
        tokenizer = load_tokenizer(source)
        self.train_enc, self.val_enc = self._encode(tokenizer)
        model = self._model(source).to(self.device)
        if cfg.freeze_embeddings:
            model.get_input_embeddings().weight.requires_grad_(False)
        optimizer = _optimizer(model, cfg, self.device)
        self.trainable = [q for q in model.parameters() if q.requires_grad]  # clipped every step
        if self.device.type == "cuda" and cfg.auto_batch_size:
            self._probe_batch_size(model, optimizer)
        n = len(self.train_enc)
        self.emit({"type": "start", "device": str(self.device), "amp": str(self.amp), "task": self.task,
                   "labels": self.data.labels, "n_train": n, "n_val": len(self.val_enc),
                   "total_steps": math.ceil(n / self.batch_size) * cfg.epochs, "batch_size": self.batch_size,
                   "epochs": cfg.epochs, "model": source.name})
        self.p = _Progress(total=n * cfg.epochs, n=n)
        self.best: dict[str, Any] | None = None
        best_state, stopped = None, False
        try:
            for epoch in range(cfg.epochs):
                self._epoch(model, optimizer, epoch)
                if self._record_eval(self._evaluate(model)):
                    best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        except Stopped:
            stopped = True
            if best_state is None:  # stopped before any evaluation: evaluate what we have
                self._record_eval(self._evaluate(model))
        if best_state is not None:
            model.load_state_dict(best_state)
        p = self.p
        throughput = {"train_runtime_s": p.train_time, "train_samples_per_second": p.seen / max(p.train_time, 1e-9),
                      "train_cpu_s": p.cpu_time,
                      "train_tokens_per_second": p.tokens / max(p.train_time, 1e-9),
                      "wall_time_s": time.perf_counter() - p.t0, "batch_size_final": self.batch_size}
        metrics = self._save(run, model, tokenizer, self.best, throughput)
        del model, optimizer, best_state
        return metrics, stopped

    def _epoch(self, model: Any, optimizer: Any, epoch: int) -> None:
        """One pass over the training set in length-bucketed batches; stops at the next step when asked."""
        import torch

        cfg, p, lengths = self.cfg, self.p, self.train_enc.lengths
        model.train()
        queue = deque(length_batches(lengths, self.batch_size, shuffle=True, seed=cfg.seed + epoch))
        loss_sum, loss_n, last_log = torch.zeros((), device=self.device), 0, time.perf_counter()
        while queue:
            if self.stop.is_set():
                raise Stopped()
            idx = queue.popleft()
            ts, cs = time.perf_counter(), time.process_time()
            batch = collate(self.train_enc, idx, self.device, self.target_dtype)
            try:
                loss = train_step(model, batch, self.amp)
            except Exception as e:
                if not is_oom(e):
                    raise
                del batch
                optimizer.zero_grad(set_to_none=True)
                queue = self._shrink_batch(queue, idx)
                continue
            torch.nn.utils.clip_grad_norm_(self.trainable, 1.0)
            lr = _lr_at(cfg.learning_rate * self.lr_scale, p.seen / p.total, cfg.warmup_ratio)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            p.advance(len(idx), int(lengths[idx].sum()), time.perf_counter() - ts, time.process_time() - cs)
            loss_sum += loss
            loss_n += 1
            if time.perf_counter() - last_log >= 0.5 or not queue:  # ~2 points a second for the live chart
                self._log_train(float(loss_sum / loss_n), lr)
                loss_sum, loss_n, last_log = torch.zeros((), device=self.device), 0, time.perf_counter()

    def _record_eval(self, result: dict[str, Any]) -> bool:
        """Emit an evaluation; remember it if it is the best so far (returns whether it is)."""
        name = main_metric(self.task)[0]
        improved = is_better(self.task, result[name], self.best[name] if self.best else None)
        if improved:
            self.best = result
        self.emit({"type": "eval", "is_best": improved, **_scalars(result)})
        return improved

    # -- pieces ----------------------------------------------------------------------------
    def _fit_baseline(self, run: RunDir) -> dict[str, Any] | None:
        """TF-IDF + logistic regression on the same split: seconds, and never fails the run."""
        t0 = time.perf_counter()
        tr, va = self.data.train, self.data.val
        if len(tr) > 100_000:  # keep it a matter of seconds on huge tables
            tr = tr.sample(100_000, random_state=self.cfg.seed)
        try:
            model = fit_baseline(tr["text"].tolist(), self._raw_targets(tr), self.task, self.data.labels,
                                 _pairs(tr), self.cfg.seed)
            scores = model.scores(va["text"].tolist(), _pairs(va))
            from .metrics import compute_metrics

            result = compute_metrics(self.task, self.data.labels, self._raw_targets(va), scores)
            model.save(run.model_dir if self.cfg.model == BASELINE_MODEL else run.path / "baseline")
        except Exception as e:  # noqa: BLE001 -- a missing baseline must not cost the user the run
            self.emit({"type": "notice", "level": "warning",
                       "message": f"The TF-IDF baseline could not be fitted ({type(e).__name__}: {e})."})
            return None
        result.update(fit_seconds=time.perf_counter() - t0, _scores=scores)
        self.emit({"type": "baseline", **_scalars(result)})
        return result

    def _raw_targets(self, frame: Any) -> np.ndarray:
        if self.task == "regression":
            return frame["label"].to_numpy(float)
        return self._targets(frame)

    def _baseline_only(self, run: RunDir) -> dict[str, Any]:
        from .errors import TuneboardError

        if self.baseline is None:
            raise TuneboardError("The TF-IDF model could not be fitted on this data. Check the notices above.")
        result = dict(self.baseline)
        result = dict(result)
        scores = result.pop("_scores")
        name, higher = main_metric(self.task)
        metrics = {"task": self.task, "labels": self.data.labels, "main_metric": name, "higher_is_better": higher,
                   "model_kind": BASELINE_MODEL, **result, "train_runtime_s": result["fit_seconds"],
                   "wall_time_s": result["fit_seconds"], "n_train": len(self.data.train), "n_val": len(self.data.val)}
        self.emit({"type": "eval", "step": 0, "epoch": 1.0, "is_best": True, **_scalars(result)})
        run.write_json("metrics.json", metrics)
        predictions_frame(self.data, scores, self.task).to_parquet(run.path / "predictions.parquet", index=False)
        return metrics

    def _encode(self, tokenizer: Any) -> tuple[Encoded, Encoded]:
        from .runs import runs_root

        cache = runs_root().parent / "cache" / "tokens"
        return tuple(encode_cached(tokenizer, f["text"].tolist(), _pairs(f), self.cfg.max_length, self._targets(f), cache)
                     for f in (self.data.train, self.data.val))  # type: ignore[return-value]

    def _targets(self, frame: Any) -> np.ndarray:
        labels = self.data.labels
        if self.task == "regression":
            train_y = self.data.train["label"].to_numpy(float)
            self.mean, self.std = float(train_y.mean()), float(train_y.std() or 1.0)
            return ((frame["label"].to_numpy(float) - self.mean) / self.std).astype(np.float32)
        index = {name: i for i, name in enumerate(labels)}
        if self.task == "multi_label":
            y = np.zeros((len(frame), len(labels)), dtype=np.float32)
            for r, names in enumerate(frame["label"]):
                y[r, [index[x] for x in names]] = 1.0
            return y
        return frame["label"].map(index).to_numpy(np.int64)

    @property
    def target_dtype(self) -> Any:
        import torch

        return torch.long if self.task == "single_label" else torch.float32

    def _model(self, source: ModelSource) -> Any:
        labels = self.data.labels
        num = 1 if self.task == "regression" else len(labels)
        id2label = {i: n for i, n in enumerate(labels)} if labels else None
        return load_classifier(source, num, PROBLEM_TYPES[self.task], id2label)

    def _probe_batch_size(self, model: Any, optimizer: Any) -> None:
        """Grow the batch to the largest that fits on the GPU (worst case: the longest examples),
        keeping at least ~30 steps per epoch; scale the learning rate by the square root."""
        from .memory import find_batch_size

        n = len(self.train_enc)
        order = np.argsort(-self.train_enc.lengths)
        limit = max(self.batch_size, min(512, 2 ** int(math.log2(max(n // 30, 1)))))

        def try_batch(b: int) -> None:
            idx = [int(order[i % n]) for i in range(b)]
            train_step(model, collate(self.train_enc, idx, self.device, self.target_dtype), self.amp)
            optimizer.zero_grad(set_to_none=True)

        old = self.batch_size
        self.batch_size = find_batch_size(try_batch, old, limit, is_oom, free_memory)
        if self.batch_size != old:
            self.lr_scale = math.sqrt(self.batch_size / old)
            self.emit({"type": "notice", "message": f"Auto batch size: {self.batch_size} (learning rate x"
                                                    f"{self.lr_scale:.2f})."})

    def _shrink_batch(self, queue: deque, idx: list[int]) -> deque:
        if self.device.type == "cuda":  # a full gc costs ~0.5 s; only the CUDA cache needs it
            free_memory()
        if self.batch_size == 1:
            raise OutOfMemory(f"Out of memory even with a batch of 1 on {self.device.type.upper()}. "
                              "Lower the max length, pick a smaller model, or use a larger GPU.") from None
        self.batch_size = max(1, self.batch_size // 2)
        rest = [i for b in [idx, *queue] for i in b]
        self.emit({"type": "notice", "level": "warning",
                   "message": f"Ran out of memory; continuing from the same step with batch size {self.batch_size}."})
        return deque(rest[i:i + self.batch_size] for i in range(0, len(rest), self.batch_size))

    def _log_train(self, loss: float, lr: float) -> None:
        p = self.p
        progress = p.seen / p.total
        elapsed = time.perf_counter() - p.t0
        event = {"type": "train", "step": p.step, "epoch": p.seen / p.n, "loss": loss, "learning_rate": lr,
                 "samples_per_second": p.seen / max(p.train_time, 1e-9),
                 "tokens_per_second": p.tokens / max(p.train_time, 1e-9), "progress": progress,
                 "elapsed": elapsed, "eta": elapsed / progress * (1 - progress) if progress else None,
                 "batch_size": self.batch_size}
        if self.device.type == "cuda":
            import torch

            event["gpu_memory_gb"] = torch.cuda.max_memory_allocated() / 2**30
        self.emit(event)

    def _evaluate(self, model: Any) -> dict[str, Any]:
        import torch

        logits = batched_logits(model, self.val_enc, inference_batch_size(self.device), self.device, self.amp)
        y = np.array(self.val_enc.targets)  # a writable copy for torch
        t = torch.from_numpy(logits)
        if self.task == "single_label":
            loss = torch.nn.functional.cross_entropy(t, torch.from_numpy(y))
        elif self.task == "multi_label":
            loss = torch.nn.functional.binary_cross_entropy_with_logits(t, torch.from_numpy(y))
        else:
            loss = torch.nn.functional.mse_loss(t[:, 0], torch.from_numpy(y))
        mean, std = getattr(self, "mean", 0.0), getattr(self, "std", 1.0)
        scores = to_scores(logits, self.task, mean, std)
        targets = y * std + mean if self.task == "regression" else y
        result = compute_metrics(self.task, self.data.labels, targets, scores)
        result.update(eval_loss=float(loss), step=self.p.step, epoch=self.p.seen / self.p.n, _scores=scores)
        return result

    def _save(self, run: RunDir, model: Any, tokenizer: Any, result: dict[str, Any],
              throughput: dict[str, Any]) -> dict[str, Any]:
        cfg = model.config
        cfg.tuneboard_task = self.task
        cfg.tuneboard_max_length = int(self.cfg.max_length)
        if self.task == "regression":
            cfg.tuneboard_target_mean, cfg.tuneboard_target_std = self.mean, self.std
        with quiet_transformers():
            model.save_pretrained(run.model_dir, safe_serialization=True)
            tokenizer.save_pretrained(run.model_dir)
        result = dict(result)
        scores = result.pop("_scores")
        name, higher = main_metric(self.task)
        metrics = {"task": self.task, "labels": self.data.labels, "main_metric": name,
                   "higher_is_better": higher, "best_step": result.pop("step"), "best_epoch": result.pop("epoch"),
                   **result, **throughput, "n_train": len(self.train_enc), "n_val": len(self.val_enc)}
        if self.baseline is not None:
            metrics["baseline"] = {k: v for k, v in self.baseline.items() if not k.startswith("_")}
        run.write_json("metrics.json", metrics)
        predictions_frame(self.data, scores, self.task).to_parquet(run.path / "predictions.parquet", index=False)
        return metrics


@dataclass
class _Progress:
    """Counters of one run: samples and real tokens seen, steps, pure training time."""

    total: int
    n: int
    seen: int = 0
    step: int = 0
    tokens: int = 0
    train_time: float = 0.0
    cpu_time: float = 0.0  # process CPU seconds spent in training steps (robust to a busy machine)
    t0: float = field(default_factory=time.perf_counter)

    def advance(self, samples: int, tokens: int, seconds: float, cpu_seconds: float = 0.0) -> None:
        self.seen += samples
        self.step += 1
        self.tokens += tokens
        self.train_time += seconds
        self.cpu_time += cpu_seconds


def train_step(model: Any, batch: dict[str, Any], amp: Any) -> Any:
    """Forward + backward on one batch; returns the detached loss (tests patch this to inject OOM)."""
    import torch

    device_type = batch["input_ids"].device.type
    with torch.autocast(device_type, dtype=amp or torch.float32, enabled=amp is not None):
        loss = model(**batch).loss
    loss.backward()
    return loss.detach()


def _optimizer(model: Any, cfg: TrainConfig, device: Any) -> Any:
    import torch

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 or "LayerNorm" in name or "norm" in name.lower() else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.learning_rate, fused=device.type == "cuda")


def _lr_at(base: float, progress: float, warmup: float) -> float:
    """Linear warm-up then linear decay, by the share of samples seen (not steps: the batch size
    can change mid-run after an out-of-memory error)."""
    if warmup > 0 and progress < warmup:
        return base * max(progress / warmup, 0.01)
    return base * max(0.0, (1 - progress) / max(1 - warmup, 1e-9))


def _seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _pairs(frame: Any) -> list[str] | None:
    return frame["text_pair"].tolist() if "text_pair" in frame.columns else None


def _scalars(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if isinstance(v, (int, float)) and not k.startswith("_")}
