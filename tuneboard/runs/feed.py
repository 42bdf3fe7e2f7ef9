"""A run's feed: its events, status and progress in one dict, from wherever they are freshest.

A run this process is training is followed through its ``LiveRun`` (``snapshot(since=n)``): each call copies
only the events logged since the last one. A run it is not training (trained before a restart, by the CLI, by
another server) is read from its folder's ``history.jsonl``, so a refresh or a teammate's link always shows the
complete curves; a finished run read from disk does not change and is not read again.

The feed is a plain dict so a page can keep it in its session and hang its own caches on it (keys starting with
``_``): ``source`` ("live" or "disk"), ``run_id``, ``events`` (as logged), ``parsed`` (``protocol.Event``s, each
parsed once), ``n``, ``status``, ``reason``, ``latest`` (progress) and ``data`` (the file the run trains on).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from tuneboard.errors import RunError
from tuneboard.protocol import ACTIVE, parse_events, parse_status, update_progress
from tuneboard.runs.folder import RunDir, run_by_id


class Followed(Protocol):
    """What a live run offers a feed (``train.queue.LiveRun``)."""

    config: Any

    def snapshot(self, since: int = 0) -> dict[str, Any]: ...


def follow_run(run_id: str, feed: dict[str, Any] | None, live: Followed | None,
               keep: Iterable[str] = ()) -> dict[str, Any] | None:
    """``feed`` brought up to date (a new one when ``feed`` is None); None when no run has this id.

    ``live``: the run as this process trains it, or None. ``keep``: the caller's own keys that survive a
    re-read from disk (a page's chart objects, updated in place)."""
    if live is not None:
        if feed is None or feed["source"] != "live":
            feed = {"source": "live", "events": [], "parsed": [], "n": 0}
        snap = live.snapshot(since=feed["n"])
        feed["events"].extend(snap["events"])
        feed["parsed"].extend(parse_events(snap["events"]))  # each event parsed once, not every refresh
        feed.update(n=snap["n_events"], status=snap["status"], reason=snap["reason"], latest=snap["latest"],
                    data=data_name(live.config))
    elif feed is None or feed["status"] in ACTIVE:
        try:
            run = run_by_id(run_id)  # an id from a URL: never a path
        except RunError:
            return None
        feed = _from_disk(run, feed, keep)
    feed["run_id"] = run_id
    return feed


def _from_disk(run: RunDir, old: dict[str, Any] | None, keep: Iterable[str]) -> dict[str, Any]:
    events, status = run.history(), run.status()
    latest: dict[str, Any] = {}
    parsed = parse_events(events)
    for e in parsed:
        update_progress(latest, e)
    kept = {k: old[k] for k in keep if old and k in old}
    return {"source": "disk", "events": events, "parsed": parsed, "n": len(events),
            "status": parse_status(status.get("status")), "reason": status.get("reason"), "latest": latest,
            "data": old["data"] if old and old.get("data") else saved_data_name(run), **kept}


def data_name(config: Any) -> str | None:
    """The file a run trains on, by name: from the run's own config, not from what a session has chosen."""
    return Path(str(config.data)).name if config is not None and config.data else None


def saved_data_name(run: RunDir) -> str | None:
    """``data_name`` of a run folder's saved config; None when it cannot be read."""
    try:
        return data_name(run.config())
    except Exception:  # noqa: BLE001 -- a torn or foreign config: the feed just does not name the data
        return None
