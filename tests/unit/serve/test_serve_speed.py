"""What makes the server fast, pinned down: onnxruntime without spin-waiting, batches cut where padding
would cost, no batching window for a lone client, and the batcher's timings in /health."""
from __future__ import annotations

import asyncio
import time

import numpy as np

from tests.conftest import run_async
from tuneboard.serve.microbatch import MicroBatcher
from tuneboard.serve.onnx import session_options, tight_batches


def test_onnxruntime_sessions_do_not_spin_wait():
    assert session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_tight_batches_cover_every_row_once_longest_first_with_little_padding():
    lengths = np.array([10, 30, 29, 12, 28, 11, 50, 9])
    batches = tight_batches(lengths, batch_size=2)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 2 for b in batches)
    assert all(lengths[i] >= 0.9 * lengths[b[0]] for b in batches for i in b)  # padding under 10 %
    assert batches[0] == [6] and [lengths[b[0]] for b in batches] == sorted((lengths[b[0]] for b in batches),
                                                                            reverse=True)
    assert tight_batches(np.array([20] * 5), batch_size=64) == [[0, 1, 2, 3, 4]]  # equal lengths: one pass


def test_a_lone_request_does_not_wait_for_the_window_but_a_burst_is_batched():
    calls: list[int] = []

    def scores(texts: list[str], pairs: list[str] | None) -> np.ndarray:
        calls.append(len(texts))
        return np.array([[len(t)] for t in texts], float)

    async def scenario() -> tuple[float, dict]:
        batcher = MicroBatcher(scores, max_wait_ms=1000)
        await batcher.start()
        try:
            start = time.perf_counter()
            await batcher.scores(["alone"])
            lone = time.perf_counter() - start
            await asyncio.gather(*(batcher.scores([t]) for t in ["a", "bb", "ccc", "dddd"]))
            return lone, batcher.stats()
        finally:
            await batcher.stop()

    lone, stats = run_async(scenario())
    assert lone < 0.5  # the window is 1 s: a lone request skipped it
    assert calls == [1, 4]
    assert stats["forward_passes"] == 2 and stats["rows"] == 5 and stats["rows_per_pass"] == 2.5
    assert stats["forward_ms_mean"] >= 0 and stats["queue_ms_mean"] >= 0
