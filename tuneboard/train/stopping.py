"""Early stopping: when to evaluate, and when the validation score has stopped improving.

Kept apart from the training loop so the rule is one small, tested object: the loop asks
``EarlyStopper.update`` after every evaluation and stops when it says so; the best checkpoint
is kept by the loop either way.
"""
from __future__ import annotations

from dataclasses import dataclass

from tuneboard.settings import steps_of


class EarlyStopped(Exception):
    """Raised inside the loop when the stopper says stop (caught by ``Trainer.fit``)."""


def eval_steps(eval_every: str | int | None) -> int | None:
    """The step interval of ``eval_every``; None means "after each epoch"."""
    return None if eval_every in (None, "epoch") else steps_of(eval_every)


@dataclass
class EarlyStopper:
    """Patience over evaluations: stop after ``patience`` evaluations without an improvement of more
    than ``min_delta`` over the best score so far. ``patience`` 0 never stops."""

    patience: int
    min_delta: float
    metric: str
    higher_is_better: bool = True
    best: float | None = None
    bad: int = 0

    def update(self, value: float) -> bool:
        """Record one evaluation's score; True when training should stop now."""
        if self.best is None or self._improves(value):
            self.best, self.bad = value, 0
            return False
        self.bad += 1
        return self.patience > 0 and self.bad >= self.patience

    def _improves(self, value: float) -> bool:
        assert self.best is not None
        gain = value - self.best if self.higher_is_better else self.best - value
        return gain > self.min_delta

    def reason(self) -> str:
        """What the live panel and the CLI show: "validation macro-F1 did not improve for 3 evaluations"
        (in English: the record's; ``stop_reason`` says it in the reader's language)."""
        from tuneboard.i18n import DEFAULT, language, set_language
        from tuneboard.protocol import stop_reason

        said_in = language()
        set_language(DEFAULT)
        try:
            return stop_reason(self.metric, self.patience, self.min_delta)
        finally:
            set_language(said_in)
