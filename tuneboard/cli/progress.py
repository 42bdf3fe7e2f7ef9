"""What ``train``, ``search`` and ``distill`` print while a run trains: one line per event worth a line."""
from __future__ import annotations

import time
from typing import Any


class ProgressPrinter:
    def __init__(self, quiet: bool) -> None:
        self.quiet, self.last, self.total = quiet, 0.0, None

    def __call__(self, line: dict[str, Any]) -> None:
        from tuneboard.protocol import EarlyStop, Evaluation, Notice, Start, TrainStep, parse_event

        e = parse_event(line)
        if self.quiet or e is None:
            return
        if isinstance(e, Start):
            self.total = e.epochs
            steps = " (bfloat16 steps)" if "bfloat16" in str(e.amp) else ""
            print(f"training {e.model} on {e.device}{steps}: {e.n_train} train / {e.n_val} validation rows, "
                  f"task {e.task}, {e.epochs} epochs", flush=True)
        elif isinstance(e, TrainStep) and (time.time() - self.last > 2 or e.progress >= 1):
            self.last = time.time()
            eta = f"{e.eta:.0f}s" if e.eta is not None else "?"
            print(f"epoch {e.epoch:.2f}/{self.total}  step {e.step}  loss {e.loss:.4f}  "
                  f"{e.samples_per_second:.1f} samples/s  eta {eta}", flush=True)
        elif isinstance(e, Evaluation):
            numbers = {**e.metrics, "eval_loss": e.eval_loss}
            keys = [k for k in ("accuracy", "macro_f1", "micro_f1", "rmse", "r2", "eval_loss")
                    if numbers.get(k) is not None]
            print(f"eval epoch {e.epoch:.2f}: " + "  ".join(f"{k} {numbers[k]:.4f}" for k in keys)
                  + ("  (best)" if e.is_best else ""), flush=True)
        elif isinstance(e, Notice):
            print(f"note: {e.message}", flush=True)
        elif isinstance(e, EarlyStop):
            print(f"stopped early at epoch {e.epoch:.2f} (step {e.step}): {e.reason}; "
                  f"kept the best checkpoint (step {e.best_step})", flush=True)
