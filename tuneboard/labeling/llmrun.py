"""A run of LLM pre-labels on a table, in a background thread, and what comes of it: which rows go, a summary
(labeled, unparsed, failed, tokens, latency, cost per 1,000 texts), the agreement with the person's labels
(accuracy and Cohen's kappa on rows both labeled), and putting the labels into the label store.

The person sees the agreement before any LLM label is used: rows they labeled themselves (and that were not
shown to the LLM as examples) are sent too, so the LLM is checked on answers it could not have copied.
"""
from __future__ import annotations

import logging
import math
import random
import statistics
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tuneboard.classnames import ClassName
from tuneboard.errors import TuneboardError, first_line
from tuneboard.i18n import t
from tuneboard.labeling.llm import FAILED, OK, SKIPPED, UNPARSED, LLMLabeler, LLMResult, LLMSettings, require_llm
from tuneboard.labeling.llmprompt import Example, pick_examples
from tuneboard.team.access import User

log = logging.getLogger("tuneboard.llm")
CHECK_SHARE = 0.2  # of the rows sent, at most this share are rows the person labeled (to measure agreement)
MIN_CHECK = 10  # ...but at least this many when there are that many


def pick_rows(n_rows: int, labeled: Mapping[int, str], examples: Iterable[int], max_rows: int,
              seed: int = 0) -> list[int]:
    """The rows to send: some the person labeled (not the examples) to check the LLM against, then unlabeled
    rows, each group a fixed random sample (the same rows for the same table and settings)."""
    rng = random.Random(seed)
    shown = set(examples)
    checkable = [r for r in sorted(labeled) if r not in shown and 0 <= r < n_rows]
    unlabeled = [r for r in range(n_rows) if r not in labeled]
    n_check = min(len(checkable), max(MIN_CHECK, int(max_rows * CHECK_SHARE)), max_rows)
    check = rng.sample(checkable, n_check)
    rest = rng.sample(unlabeled, min(len(unlabeled), max_rows - n_check))
    return sorted(check) + sorted(rest)


def summarize(results: Sequence[LLMResult], settings: LLMSettings) -> dict[str, Any]:
    """Counts, tokens, median latency and cost per 1,000 texts (from the tokens of answered rows and the
    prices the person gave; 0 on a local server)."""
    counts = {s: sum(r.status == s for r in results) for s in (OK, UNPARSED, FAILED, SKIPPED)}
    answered = [r for r in results if r.status in (OK, UNPARSED)]
    latency = statistics.median(r.latency_s for r in answered) if answered else None
    cost = None
    if answered:
        per_text = sum(r.prompt_tokens * settings.price_in + r.completion_tokens * settings.price_out
                       for r in answered) / len(answered) / 1e6
        cost = 1000 * per_text
    return {"labeled": counts[OK], "unparsed": counts[UNPARSED], "failed": counts[FAILED],
            "skipped": counts[SKIPPED], "tokens": sum(r.tokens for r in results),
            "tokens_per_text": sum(r.tokens for r in answered) / len(answered) if answered else None,
            "latency_s": latency, "cost_per_1000": cost}


def agreement(results: Iterable[LLMResult], person: Mapping[int, str]) -> dict[str, Any]:
    """Accuracy and Cohen's kappa of the LLM's labels against the person's, on the rows both labeled
    (``n``: how many). ``None`` when there is no such row; kappa ``None`` when it is undefined (one class)."""
    pairs = [(str(person[r.row]), r.label) for r in results if r.status == OK and r.row in person]
    if not pairs:
        return {"n": 0, "accuracy": None, "kappa": None}
    from sklearn.metrics import accuracy_score, cohen_kappa_score

    truth, llm = [p[0] for p in pairs], [p[1] for p in pairs]
    kappa = float(cohen_kappa_score(truth, llm)) if len(set(truth) | set(llm)) > 1 else None
    return {"n": len(pairs), "accuracy": float(accuracy_score(truth, llm)),
            "kappa": None if kappa is None or math.isnan(kappa) else kappa}


def apply_llm_labels(store: Any, results: Iterable[LLMResult], user: User, *, model: str = "",
                     keep: Collection[int] = (), secrets: Mapping[str, Any] | None = None) -> int:
    """Put the LLM's labels into the label store with their provenance (source ``llm``, the model in the
    note); rows in ``keep`` (the person's own labels) are never overwritten. Returns how many were recorded."""
    require_llm(user, secrets)
    items = [(r.row, r.label) for r in results if r.status == OK and r.label is not None and r.row not in keep]
    if not items:
        return 0
    store.record_many(items, user=user, source="llm", note=t("llm.note", model=model))
    return len(items)


@dataclass
class LLMJob:
    """Pre-labels running in a background thread. The page polls ``done``/``total``/``finished``; the thread
    never touches the page. ``results`` and ``summary`` are set when it ends; ``error`` when it failed."""

    settings: LLMSettings
    rows: list[int]
    examples: list[Example]
    labeler: LLMLabeler
    done: int = 0
    results: list[LLMResult] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def total(self) -> int:
        return min(len(self.rows), self.settings.max_rows)

    def stop(self) -> None:
        self.labeler.stop.set()

    def _run(self, texts: Sequence[str]) -> None:
        try:
            self.results = self.labeler.label_rows(self.rows, texts)
            self.summary = summarize(self.results, self.settings)
        except TuneboardError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 -- a thread's failure must reach the page as a sentence
            # the message only, scrubbed: a library's error may quote a request, and the log must never hold the key
            log.error("LLM pre-labels failed: %s: %s", type(e).__name__, self.labeler.scrubbed(first_line(e)))
            self.error = t("llm.err.unexpected", kind=type(e).__name__)
        finally:
            self.finished.set()

    def _progress(self, done: int, total: int) -> None:
        self.done = done


def start_llm_labels(settings: LLMSettings, classes: Sequence[ClassName], texts: Sequence[str],
                     labeled: Mapping[int, str], user: User, **labeler: Any) -> LLMJob:
    """Check who asks, pick the examples and the rows, and start labeling in a thread (``labeler``: extra
    ``LLMLabeler`` arguments: the app's ``secrets``, a ``sleep`` for tests)."""
    require_llm(user, labeler.get("secrets"))
    examples = pick_examples(labeled, texts, classes, settings.examples_per_class)
    rows = pick_rows(len(texts), labeled, [e.row for e in examples], settings.max_rows)
    job = LLMJob(settings, rows, examples, LLMLabeler(settings, classes, examples, **labeler))
    job.labeler.progress = job._progress
    threading.Thread(target=job._run, args=(list(map(str, texts)),), name="tuneboard-llm-job", daemon=True).start()
    return job
