"""The TF-IDF baseline, fitted in a thread beside the fine-tuning instead of before it.

Fitted in series it delayed the model's loading (and the first live point) by its whole fit, ~3 s on
2 cores (scikit-learn and skops imports included). In a thread it overlaps the tokenizer and model
loading. Its event is emitted from the training thread (``report``, called before each of the run's
own events), so history.jsonl is only ever written from one thread; ``result`` waits for it before the
results are saved, so it is in metrics.json and on disk when Evaluate opens, as before.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Callable

from tuneboard.predict.baseline import BaselineResult
from tuneboard.protocol import Baseline, Event, Notice, Phase, scalars

Emit = Callable[[Event], None]


def baseline_failed(error: BaseException | None) -> Notice:
    """The warning that replaces a baseline that could not be fitted."""
    reason = f"{type(error).__name__}: {error}"
    return Notice.of("engine.notice.baseline_failed", level="warning", reason=reason)


class BaselineJob:
    """``fit`` running in a daemon thread; its outcome reaches the run's events once, as a ``Baseline``
    event or, when it failed, a warning notice (a missing baseline never fails the run)."""

    def __init__(self, fit: Callable[[], BaselineResult]) -> None:
        self._fit = fit
        self._result: BaselineResult | None = None
        self._error: Exception | None = None
        self._reported = False
        self._thread = threading.Thread(target=self._work, name="tuneboard-baseline", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        _lower_priority()
        try:
            self._result = self._fit()
        except Exception as e:  # noqa: BLE001 -- reported as a notice by report()
            self._error = e

    def report(self, emit: Emit) -> None:
        """Emit the outcome if the fit is over and it was not emitted yet (call from the emitting thread)."""
        if self._reported or self._thread.is_alive():
            return
        self._reported = True
        if self._result is not None:
            emit(Baseline(metrics=scalars(self._result.metrics)))
        else:
            emit(baseline_failed(self._error))

    def result(self, emit: Emit) -> BaselineResult | None:
        """Wait for the fit (the wait is logged as the ``baseline_wait`` phase), report it, return it."""
        t0 = time.perf_counter()
        self._thread.join()
        emit(Phase(name="baseline_wait", seconds=time.perf_counter() - t0))
        self.report(emit)
        return self._result

    def join(self) -> None:
        """Wait without reporting (a failed run must not leave the thread writing into its folder)."""
        self._thread.join()


def _lower_priority() -> None:
    """Run this thread at the lowest CPU priority (Linux: a thread's id takes a nice value of its own), so
    that on a busy 2-core machine the baseline takes the cores the training leaves idle, not the
    training's; elsewhere, or if refused, it runs at the normal priority."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass
