"""Serving follows a name: the API answers with the version ``production`` points at, and swaps it in place.

A server started with ``--model NAME`` polls the registry (one short read a second). When production (or the
candidate) moves -- a promotion, a rollback -- it loads the new version in a worker thread, runs one warm-up
prediction there (a model's first forward pass is its slowest), and only then replaces the reference requests
read. A request takes its model once, at its start, and finishes on it; a replaced model is retired (its
micro-batcher stopped) once no request uses it any more. So a swap fails no request and slows none by more
than what loading on a shared CPU costs (bench/bench_swap.py measures it).

The candidate, when one is set, sees live traffic as the registry says: ``shadow`` -- a copy of every request,
answered after the client's answer has been sent, logged beside production's answer, never returned -- or
``canary`` -- a share of the requests (exactly ``percent`` of them, spread evenly), answered by the candidate.
A shadow that falls behind skips requests (counted) rather than take the cores production needs.
"""
from __future__ import annotations

import asyncio
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from tuneboard.errors import first_line
from tuneboard.i18n import t
from tuneboard.registry.book import CANARY, PRODUCTION, Registry, check_name

SHADOW_BACKLOG = 32  # shadow predictions waiting at most; past it a request is not shadowed (counted)


def served_folder(name: str) -> Path:
    """Where the log of a name's traffic lives. ``model.`` keeps it apart from run ids (they start with a date)."""
    from tuneboard.paths import workspace

    check_name(name)
    return workspace().served / f"model.{name}"


@dataclass
class Slot:
    """One loaded model: its predictor, its micro-batcher, its ``/info``, and the requests using it now."""

    run_path: Path
    predictor: Any
    batcher: Any
    info: dict[str, Any]
    label: str | None = None  # "name/version" when served by name
    version: int | None = None
    active: int = field(default=0)

    @contextmanager
    def using(self) -> Iterator[Slot]:
        self.active += 1
        try:
            yield self
        finally:
            self.active -= 1


class FixedModel:
    """A run served by its folder: one slot, no candidate."""

    name = None

    def __init__(self, slot: Slot) -> None:
        self.production, self.candidate = slot, None

    def pick(self) -> tuple[Slot, Slot | None]:
        return self.production, None

    def shadow_room(self) -> bool:
        return False

    def stats(self) -> dict[str, Any]:
        return {}

    async def start(self) -> None:
        await self.production.batcher.start()

    async def stop(self) -> None:
        await self.production.batcher.stop()


class FollowedName:
    """A name served by whatever its aliases point at; ``load(run_path, label, version)`` makes a ``Slot``."""

    def __init__(self, name: str, load: Callable[..., Slot], registry: Registry | None = None,
                 poll_s: float = 1.0) -> None:
        self.name, self.load, self.poll_s = name, load, poll_s
        self.registry = registry or Registry()
        self.loaded: dict[int, Slot] = {}
        production, candidate, self.traffic, self.percent = self.registry.state(name)
        if production is None:
            self.registry.resolve(name, PRODUCTION)  # raises the one-line error that says what to do
        self.production = self._slot(production)
        self.candidate = self._slot(candidate) if candidate is not None else None
        self.swaps, self.shadow_pending, self.shadow_skipped, self.shadowed = 0, 0, 0, 0
        self._share = 0.0
        self._task: asyncio.Task | None = None
        self._retiring: set[asyncio.Task] = set()

    def pick(self) -> tuple[Slot, Slot | None]:
        """The slot that answers this request, and the one that shadows it (or None)."""
        production, candidate = self.production, self.candidate
        if candidate is None:
            return production, None
        if self.traffic == CANARY:
            self._share += self.percent / 100.0  # exact shares, spread evenly: 25% is every 4th request
            if self._share >= 1.0 - 1e-9:
                self._share -= 1.0
                return candidate, None
            return production, None
        return production, candidate

    def shadow_room(self) -> bool:
        if self.shadow_pending >= SHADOW_BACKLOG:
            self.shadow_skipped += 1
            return False
        return True

    def stats(self) -> dict[str, Any]:
        return {"model": self.name, "version": self.production.label,
                "candidate": self.candidate.label if self.candidate else None,
                "traffic": self.traffic, "canary_percent": self.percent, "swaps": self.swaps,
                "shadowed": self.shadowed, "shadow_skipped": self.shadow_skipped}

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for slot in self.loaded.values():
            await slot.batcher.stop()

    async def refresh(self) -> bool:
        """Read the registry once and swap what moved; True when a model was swapped."""
        production, candidate, self.traffic, self.percent = await asyncio.to_thread(self.registry.state, self.name)
        wanted = [v for v in (production, candidate) if v is not None]
        for number in wanted:
            if number not in self.loaded:
                await asyncio.to_thread(self._slot, number)  # off the event loop: requests keep being answered
        changed = False
        if production is not None and production != self.production.version:
            self.production, changed = self.loaded[production], True
        new_candidate = self.loaded[candidate] if candidate is not None else None
        if new_candidate is not self.candidate:
            self.candidate, changed = new_candidate, True
        for number in [n for n in self.loaded if n not in wanted and n != self.production.version]:
            task = asyncio.create_task(self._retire(self.loaded.pop(number)))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
        self.swaps += changed
        return changed

    def _slot(self, number: int) -> Slot:
        version = self.registry.version(self.name, number)
        slot = self.load(version.run_path, label=version.label, version=number)
        pairs = ["warm up"] if slot.info.get("text_pairs") else None
        slot.predictor.scores(["warm up"], pairs)  # the first forward pass is the slow one: pay it here
        self.loaded[number] = slot
        return slot

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.refresh()
            except Exception as e:  # noqa: BLE001 -- a version that fails to load must not stop the server
                print(t("serving.follow_failed", name=self.name, reason=first_line(e)), file=sys.stderr, flush=True)

    async def _retire(self, slot: Slot) -> None:
        while slot.active:  # requests that took this model finish on it
            await asyncio.sleep(0.05)
        await slot.batcher.stop()


async def shadow(follower: FollowedName, slot: Slot, texts: list[str], pairs: list[str] | None,
                 rows: list[dict[str, Any]], record: Callable[[list[dict[str, Any]]], None] | None) -> None:
    """The candidate's answers to a request production answered, written into that request's log rows. The
    caller counted the request on ``slot`` (``record``) before scheduling this, so the slot is not retired before
    it runs."""
    try:
        if bool(slot.info.get("text_pairs")) != (pairs is not None):
            return  # the candidate reads the other kind of input: nothing to compare
        begin = time.perf_counter()
        scores = await slot.batcher.scores(texts, pairs)
        results = slot.predictor.label_results(texts, scores)
        latency = (time.perf_counter() - begin) * 1000
        follower.shadowed += 1
        for row, r in zip(rows, results, strict=True):
            row.update(shadow_of(slot, r, latency))
    except Exception:  # noqa: BLE001 -- a failing candidate costs its own log fields, never an answer
        pass
    finally:
        follower.shadow_pending -= 1
        slot.active -= 1
        if record is not None:
            record(rows)


_SHADOWS: set[asyncio.Task] = set()  # running shadow tasks: asyncio keeps only a weak reference to a task


def record(served: Any, candidate: Slot | None, texts: list[str], pairs: list[str] | None,
           rows: list[dict[str, Any]], write: Callable[[list[dict[str, Any]]], None] | None) -> None:
    """Log an answered request: at once, or -- when the candidate shadows it -- once the candidate has answered
    too, in a task of its own (after the client has its answer). A shadow that is behind skips the request."""
    if candidate is not None and served.shadow_room():
        served.shadow_pending += 1  # counted now, before the task runs, so the slot is not retired under it
        candidate.active += 1
        task = asyncio.get_running_loop().create_task(shadow(served, candidate, texts, pairs, rows, write))
        _SHADOWS.add(task)
        task.add_done_callback(_SHADOWS.discard)
    elif write is not None:
        write(rows)


def shadow_of(slot: Slot, result: dict[str, Any], latency_ms: float) -> dict[str, Any]:
    """A log row's shadow fields: the candidate's version, label (or value), confidence and latency."""
    out: dict[str, Any] = {"shadow_version": slot.label, "shadow_latency_ms": latency_ms}
    task = slot.predictor.task
    if task == "regression":
        out["shadow_value"] = result["label"]
    elif task == "multi_label":
        out["shadow_label"] = "|".join(result["label"])
    else:
        out["shadow_label"], out["shadow_confidence"] = result["label"], result["scores"][result["label"]]
    return out
