"""Widgets of the Label page: one text at a time with a key per class, the review grid of model guesses, search
and label, agreement between people, and "Train on these labels". The label store is the truth: every run of
the page reads it (a refresh, a second tab or a restarted server shows the same labels); a person's strings are
only ever shown escaped or in grid cells.

The next text and its guess come from ``tuneboard.labeling.suggest`` when it is there (active learning), else
from ``_in_order`` (the next unlabeled rows, no guess). Suggestions are asked for a batch at a time and kept in
session state, so a key press costs one write and one read of the store, not a model fit.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd
import streamlit as st

from tuneboard.errors import TuneboardError
from tuneboard.i18n import t

from . import auth, lang, state
from .widgets import error_text, plain

BATCH = 20  # suggestions asked for at once: one model fit per this many labels
# One thread that fits the next batch's model ahead of time, for every session (threads, never processes: the
# server never forks); a person waits for it only when labeling faster than it fits.
_AHEAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tuneboard-label-ahead")
REVIEW_ROWS = 200  # guesses shown in the review grid
SEARCH_SHOWN = 20
MAX_KEYS = 9  # classes 1..9 get a number key
MODES = ("one", "review", "search", "team")  # the page's ways to label; keys label.mode.<mode>
STYLE = """<style>
.st-key-label_text p { font-size: 1.5rem; line-height: 1.55; }
</style>"""


@dataclass(frozen=True)
class Pick:
    """A row to label next and the model's guess (a class code) with its confidence (the fallback has none)."""

    row: int
    guess: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Table:
    """What the page labels: the table's id (content hash), its texts and the labels the file already had."""

    sha: str
    texts: tuple[str, ...]
    own: dict[int, str]


def table_of(ds: state.Dataset) -> Table:
    """The texts of the chosen data (read once per file and column: the page reruns on every key press)."""
    return _table(ds.path, ds.sha, Path(ds.path).stat().st_mtime, ds.text_column, ds.label_column)


@st.cache_resource(max_entries=4, show_spinner=False)
def _table(path: str, sha: str | None, stamp: float, text_column: str, label_column: str | None) -> Table:
    from tuneboard.data import read_table
    from tuneboard.labeling import table_sha

    df, _ = read_table(path)
    texts = tuple(df[text_column].fillna("").astype(str).str.strip()) if text_column in df.columns else ()
    own = {}
    if label_column and label_column in df.columns:
        values = df[label_column].fillna("").astype(str).str.strip()
        own = {i: v for i, v in enumerate(values) if v}
    return Table(sha or table_sha(path), texts, own)


def store_of(table: Table) -> Any:
    from tuneboard.labeling import LabelStore

    return LabelStore.open(table.sha)


def classes_of(store: Any, table: Table) -> tuple[Any, ...]:
    """The label set: as saved, else the values the table's label column already holds (a partly labeled
    table is labeled with its own classes until someone names them on Data)."""
    from tuneboard.labeling import COLOURS, LabelClass

    return store.classes() or tuple(LabelClass(v, v, "", COLOURS[i % len(COLOURS)])
                                    for i, v in enumerate(sorted(set(table.own.values()))[:50]))


def labels_of(store: Any, table: Table) -> dict[int, str]:
    """Every labeled row's code: the file's own labels, then the store's (which win)."""
    return {**table.own, **store.current()}


# -- progress -------------------------------------------------------------------------------------
def progress(classes: Sequence[Any], labels: dict[int, str], total: int) -> None:
    """How many texts are labeled, and how many per class (with the class's colour)."""
    done = len(labels)
    st.progress(min(1.0, done / max(total, 1)), text=t("label.progress", done=f"{done:,}", total=f"{total:,}"))
    counts = pd.Series(list(labels.values()), dtype=object).value_counts().to_dict()
    st.markdown(" · ".join(f":{c.colour}[●] {plain(c.name)} **{counts.get(c.code, 0)}**" for c in classes),
                help=t("label.progress_help"))


# -- one at a time --------------------------------------------------------------------------------
def next_pick(table: Table, labels: dict[int, str], classes: Sequence[Any]) -> Pick | None:
    """The text to show now: the first of this session's batch that is still unlabeled and not skipped."""
    queue = st.session_state.get("_label_queue")
    if not queue or queue["sha"] != table.sha:
        queue = st.session_state["_label_queue"] = {"sha": table.sha, "items": [], "skipped": set()}
    skipped = queue["skipped"]
    items = [p for p in queue["items"] if p.row not in labels and p.row not in skipped]
    if not items:
        future = queue.pop("next", None)
        ready = _result(future)
        items = [p for p in ready if p.row not in labels and p.row not in skipped]
        if not items:
            items = [p for p in suggestions(table, labels, classes, BATCH) if p.row not in skipped]
        items = items or _in_order(table, labels, BATCH, skipped)
    elif len(items) <= BATCH // 2 and "next" not in queue:
        # the next batch, asked for while the person labels this one: a refill then costs no model fit
        queue["next"] = _AHEAD.submit(suggestions, table, dict(labels), classes, BATCH + len(items))
    queue["items"] = items
    return items[0] if items else None


def _result(future: Any) -> list[Pick]:
    """What the batch asked for ahead holds, if it is ready (nothing when it failed: the page asks again now)."""
    if future is None or not future.done() or future.exception() is not None:
        return []
    return future.result()


def suggestions(table: Table, labels: dict[int, str], classes: Sequence[Any], n: int) -> list[Pick]:
    """Rows to label next with the model's guesses (``tuneboard.labeling.suggest``), or the next rows in order."""
    try:
        from tuneboard.labeling import suggest
    except ImportError:  # active learning is not part of this build: the rows in order, no guess
        return _in_order(table, labels, n, set())
    codes = {c.code: c.code for c in classes} | {c.name.casefold(): c.code for c in classes}
    try:
        found = suggest(table.texts, labels, n=n, classes=[c.class_name() for c in classes])
    except TuneboardError:  # too few labels for the model yet: the rows in order
        return _in_order(table, labels, n, set())
    return [Pick(int(s.row), codes.get(s.guess) or codes.get(str(s.guess).casefold()) if s.guess else None,
                 s.confidence) for s in found if s.row not in labels]


def _in_order(table: Table, labels: dict[int, str], n: int, skipped: set[int]) -> list[Pick]:
    out = []
    for row, text in enumerate(table.texts):
        if row not in labels and row not in skipped and text:
            out.append(Pick(row))
            if len(out) == n:
                break
    return out


def labeling_loop(table: Table, classes: Sequence[Any]) -> None:
    """Progress and the text to label, as a fragment: a key press reruns only this part of the page (not the
    sidebar, the tools or the train section), which keeps the next text quick on a busy machine."""
    st.fragment(lang.localized(_loop))(table, classes)


def _loop(table: Table, classes: Sequence[Any]) -> None:
    labels = labels_of(store_of(table), table)  # read on every run: the store is the truth
    progress(classes, labels, len(table.texts))
    pick = next_pick(table, labels, classes)
    if pick is None:
        st.success(t("label.all_done"), icon=":material/celebration:")
    else:
        one_at_a_time(table, classes, pick)


def one_at_a_time(table: Table, classes: Sequence[Any], pick: Pick) -> None:
    """The text, large; a button per class (keys 1..9; the guess is the primary one, Enter accepts it), skip (S),
    undo (U) and a note."""
    st.html(STYLE)
    with st.container(border=True, key="label_text"):
        st.markdown(plain(table.texts[pick.row]))
    st.caption(t("label.row", row=pick.row + 1, total=f"{len(table.texts):,}"))
    names = {c.code: c.name for c in classes}
    if pick.guess in names:
        share = f"{pick.confidence:.0%}" if pick.confidence is not None else "—"
        st.caption(t("label.guess", name=plain(names[pick.guess]), confidence=share))
    columns = st.columns(min(len(classes), 5) or 1)
    for i, c in enumerate(classes):
        guessed = c.code == pick.guess
        columns[i % len(columns)].button(
            f":{c.colour}[●] {plain(c.name)}", key=f"label_class_{i}", type="primary" if guessed else "secondary",
            shortcut=str(i + 1) if i < MAX_KEYS else None, use_container_width=True,
            on_click=lang.localized(_label), args=(table.sha, pick.row, c.code, pick.guess), help=c.description or None)
    skip, undo, accept = st.columns(3)
    skip.button(t("label.skip"), key="label_skip", shortcut="S", icon=":material/skip_next:",
                on_click=lang.localized(_skip), args=(table.sha, pick.row), use_container_width=True)
    undo.button(t("label.undo"), key="label_undo", shortcut="U", icon=":material/undo:",
                on_click=lang.localized(_undo), args=(table.sha,), use_container_width=True)
    if pick.guess in names:
        accept.button(t("label.accept"), key="label_accept", shortcut="Enter", icon=":material/check:",
                      on_click=lang.localized(_label), args=(table.sha, pick.row, pick.guess, pick.guess),
                      use_container_width=True)
    st.text_input(t("label.note"), key="label_note", placeholder=t("label.note_placeholder"), max_chars=500)
    if st.session_state.get("_label_error"):
        st.error(st.session_state.pop("_label_error"))


def _label(sha: str, row: int, code: str, guess: str | None) -> None:
    from tuneboard.labeling import LabelStore

    source = "suggestion" if guess is not None and code == guess else "person"
    try:
        LabelStore.open(sha).record(row, code, user=auth.current_user(), source=source,
                                    note=st.session_state.get("label_note", ""))
    except TuneboardError as e:
        st.session_state["_label_error"] = error_text(e)
        return
    st.session_state["label_note"] = ""


def _skip(sha: str, row: int) -> None:
    queue = st.session_state.get("_label_queue")
    if queue and queue["sha"] == sha:
        queue["skipped"].add(row)


def _undo(sha: str) -> None:
    from tuneboard.labeling import LabelStore

    try:
        undone = LabelStore.open(sha).undo(auth.current_user())
    except TuneboardError as e:
        st.session_state["_label_error"] = error_text(e)
        return
    queue = st.session_state.get("_label_queue")
    if undone is not None and queue and queue["sha"] == sha:
        queue["skipped"].discard(undone.row)
        queue["items"] = [Pick(undone.row), *[p for p in queue["items"] if p.row != undone.row]]
    elif undone is None:
        st.session_state["_label_error"] = t("label.nothing_to_undo")
