"""What ``train``, ``search`` and ``distill`` print while a run trains: one line per event worth a line."""
from __future__ import annotations

import time
from typing import Any

from tuneboard.i18n import language, set_language, t


class ProgressPrinter:
    def __init__(self, quiet: bool) -> None:
        self.quiet, self.last, self.total = quiet, 0.0, None
        # the command's language: events arrive on the training thread, which keeps English for the records
        self.language = language()

    def __call__(self, line: dict[str, Any]) -> None:
        said_in = language()
        set_language(self.language)
        try:
            self._print(line)
        finally:
            set_language(said_in)

    def _print(self, line: dict[str, Any]) -> None:
        from tuneboard.protocol import EarlyStop, Evaluation, Notice, Start, TrainStep, parse_event

        e = parse_event(line)
        if self.quiet or e is None:
            return
        if isinstance(e, Start):
            self.total = e.epochs
            steps = t("cli.progress.bfloat16") if "bfloat16" in str(e.amp) else ""
            print(t("cli.progress.start", model=e.model, device=e.device, steps=steps, n_train=e.n_train,
                    n_val=e.n_val, task=e.task, epochs=e.epochs), flush=True)
        elif isinstance(e, TrainStep) and (time.time() - self.last > 2 or e.progress >= 1):
            self.last = time.time()
            eta = f"{e.eta:.0f}s" if e.eta is not None else "?"
            print(t("cli.progress.step", epoch=f"{e.epoch:.2f}", total=self.total, step=e.step, loss=f"{e.loss:.4f}",
                    speed=f"{e.samples_per_second:.1f}", eta=eta), flush=True)
        elif isinstance(e, Evaluation):
            numbers = {**e.metrics, "eval_loss": e.eval_loss}
            keys = [k for k in ("accuracy", "macro_f1", "micro_f1", "rmse", "r2", "eval_loss")
                    if numbers.get(k) is not None]
            print(t("cli.progress.evaluation", epoch=f"{e.epoch:.2f}",
                    scores="  ".join(f"{k} {numbers[k]:.4f}" for k in keys),
                    best=t("cli.progress.best") if e.is_best else ""), flush=True)
        elif isinstance(e, Notice):
            print(t("cli.progress.note", message=e.text()), flush=True)
        elif isinstance(e, EarlyStop):
            print(t("cli.progress.early_stop", epoch=f"{e.epoch:.2f}", step=e.step, reason=e.text(),
                    best_step=e.best_step), flush=True)
