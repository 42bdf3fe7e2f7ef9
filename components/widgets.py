"""Small Streamlit pieces shared by pages: error guard, sidebar status, run picker, headline numbers."""
from __future__ import annotations

import logging
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import streamlit as st

from tuneboard.errors import TuneboardError
from tuneboard.i18n import t
from tuneboard.paths import ModelFiles
from tuneboard.protocol import RunStatus

from . import lang, nav, state
from .charts import pretty

log = logging.getLogger("tuneboard.app")
# Plain symbols every system font has (emoji need an emoji font, which projectors' machines may lack).
S = RunStatus
STATUS_ICONS = {S.QUEUED: "○", S.RUNNING: "●", S.STOPPING: "◐", S.COMPLETED: "✓", S.STOPPED: "■",
                S.FAILED: "✗", S.INTERRUPTED: "⚠", S.UNKNOWN: "?"}


@contextmanager
def guard() -> Iterator[None]:
    """Show a user-fixable error as its message and anything else as one plain sentence (never a
    traceback; the traceback goes to the server log)."""
    try:
        yield
    except TuneboardError as e:
        show_error(e)
    except Exception as e:
        log.exception("unexpected error in a page")
        st.error(t("widgets.unexpected", kind=type(e).__name__))


def show_error(e: TuneboardError) -> None:
    st.error(error_text(e))


def error_text(e: TuneboardError) -> str:
    """An error as markdown: its title in bold, then the message (plain text: it may quote user data)."""
    return titled(str(e.title), str(e))


def titled(title: str, body: str) -> str:
    """A bold title and its sentence, as markdown, punctuated the reader's way ("**Title.** body" in English,
    "**标题**。正文" in Chinese: CommonMark draws no bold that closes after a punctuation mark and before a
    letter, so the full stop stays outside). Both are user-safe plain text."""
    return t("widgets.titled", title=plain(title.rstrip(".。 ")), body=plain(body))


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")


def plain(text: Any) -> str:
    """``text`` (a label, column, note, file name: anything a user wrote) made safe to put inside a
    Streamlit markdown string: every markdown, directive (``:red[...]``, ``:material/x:``), math
    (``$``) and HTML character is backslash-escaped, and line breaks become spaces, so it shows as
    the literal characters and nothing else."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def sidebar_status() -> None:
    """Device and the active/queued runs; polls only while something may change."""
    reg = state.registry_if_started()
    training = reg is not None and (reg.active() is not None or bool(reg.queued()))
    # While the device is being probed: every 2 s. While a run trains: every 5 s (the Train page has
    # its own 1 s panel; each refresh is drawing the browser does on cores training may need).
    every = 2.0 if state.device() is None else 5.0 if training else None
    st.fragment(run_every=every)(lang.localized(_sidebar_body))()


def device_name(dev: dict[str, Any]) -> str:
    """The device as the page names it: a GPU by its own name, the CPU with its core count in the page's language."""
    if dev.get("type") == "cpu":
        return t("widgets.cpu_name", cores=os.cpu_count() or 1)
    return str(dev.get("name", ""))


def _sidebar_body() -> None:
    dev, reg = state.device(), state.registry_if_started()
    st.caption(t("widgets.device"))
    if dev is None:
        st.markdown(t("widgets.detecting"))
    elif dev["type"] == "cuda":
        st.markdown(f"**{device_name(dev)}**  \n" + t("widgets.gb_free", free=f"{dev['free_gb']:.1f}",
                                                       total=f"{dev['total_gb']:.1f}"))
    else:
        st.markdown(f"**{device_name(dev)}**  \n" + t("widgets.no_gpu"))
    st.caption(t("widgets.training"))
    active, queued = (reg.active(), reg.queued()) if reg is not None else (None, [])
    if active is not None:
        latest = active.snapshot(since=10**9)["latest"]
        pct = f"{latest['progress']:.0%} · " if latest.get("progress") is not None else ""
        # The state first: a long run name is cut at the sidebar's edge (the full name is the tooltip).
        st.page_link(nav.page(nav.TRAIN), label=f"{pct}{short_id(active.run_id)}", icon=":material/play_circle:",
                     query_params={"run": active.run_id}, help=active.run_id)
    for live in queued:
        st.page_link(nav.page(nav.TRAIN), label=f"{t('widgets.queued')} · {short_id(live.run_id)}",
                     icon=":material/schedule:", query_params={"run": live.run_id}, help=live.run_id)
    if active is None and not queued:
        st.markdown(t("widgets.no_run"))


def short_id(run_id: str) -> str:
    """``20250101-120000-name-ab12`` → ``name-ab12`` (the date is shown elsewhere)."""
    parts = run_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0].isdigit() else run_id


def model_name(model: str | None) -> str:
    """A model as a table shows it: a folder on the server by its name (its full path is in the run's
    settings), a hub id or ``default`` as is."""
    if not model:
        return "—"
    return Path(model).name if Path(model).is_absolute() else model


def run_label(summary: dict[str, Any]) -> str:
    started = summary.get("started_at")
    when = time.strftime(t("widgets.date_format"), time.localtime(started)) if started else ""
    value, name = summary.get("main_value"), summary.get("main_metric")
    score = f" · {pretty(name)} {fmt_metric(name, value)}" if isinstance(value, (int, float)) else ""
    return f"{status_icon(summary.get('status'))} {short_id(summary['run_id'])} · {when}{score}"


def status_word(status: str | None) -> str:
    """A run status in the current language (keys status.<status>: one per ``RunStatus``)."""
    return t(f"status.{status}") if status in set(S) else str(status or t("status.unknown"))


def status_icon(status: str | None) -> str:
    """A run status as one plain symbol ('?' for none)."""
    return STATUS_ICONS.get(status or S.UNKNOWN, "")


def run_picker(with_model: bool = True) -> dict[str, Any] | None:
    """Select box over the runs (those with a saved model by default); keeps ``?run=`` in sync."""
    from tuneboard.runs import list_runs

    runs = [r for r in list_runs() if not with_model or (r.model_dir / ModelFiles.CONFIG).is_file()
            or (r.model_dir / ModelFiles.BASELINE).is_file()]
    if not runs:
        st.info(t("widgets.no_model"))
        st.page_link(nav.page(nav.TRAIN), label=t("widgets.go_train"), icon=":material/rocket_launch:")
        st.stop()
    summaries = {r.run_id: r.summary() for r in runs}
    ids = list(summaries)
    # One source of truth: the selected run (URL, mirrored in the session). The select box only shows it;
    # a pick changes it in the box's callback, which runs before the script, so the script never sees the
    # old URL and the new pick disagree (they did: the old ``?run=`` won and the box snapped back).
    wanted = state.selected_run_id()
    run_id = wanted if wanted in ids else ids[0]
    st.session_state["run_pick"] = run_id
    labels = {i: run_label(s) for i, s in summaries.items()}  # in this run's language, not the caller's of format_func
    st.selectbox(t("widgets.run"), ids, key="run_pick", format_func=labels.__getitem__,
                 on_change=_picked_run)
    if run_id != wanted:
        state.select_run(run_id)
    return summaries[run_id]


def _picked_run() -> None:
    state.select_run(st.session_state.get("run_pick"))


def headline(numbers: dict[str, str], help: dict[str, str] | None = None) -> None:
    """A row of big numbers with a border (readable from the back of a room)."""
    cols = st.columns(len(numbers))
    for col, (name, value) in zip(cols, numbers.items(), strict=False):
        col.metric(name, value, border=True, help=(help or {}).get(name))


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds >= 3600:
        return t("widgets.duration_hm", h=seconds // 3600, m=f"{seconds % 3600 // 60:02d}")
    if seconds >= 60:
        return t("widgets.duration_ms", m=seconds // 60, s=f"{seconds % 60:02d}")
    return t("widgets.duration_s", s=seconds)


def fmt_metric(name: str, value: Any) -> str:
    """Shares as percentages (what a room reads fastest), errors and R² as plain numbers."""
    if not isinstance(value, (int, float)):
        return "—"
    if name in ("rmse", "mae", "eval_loss", "loss"):
        return f"{value:.3g}"
    if name == "r2":
        return f"{value:.2f}"
    return f"{value:.1%}"


def fmt_count(n: Any) -> str:
    """A big count as people say it: 22.7 M, 1.2 B, 350 K."""
    if not isinstance(n, (int, float)):
        return "—"
    return f"{n / 1e9:.1f} B" if n >= 1e9 else f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} K" if n >= 1e3 \
        else f"{n:,.0f}"


PERCENT = "%.1f%%"  # one way to write a share everywhere: 85.9 % in tables, headlines and bar labels


def as_percent(frame: Any, columns: Any) -> Any:
    """A copy of ``frame`` with the shares in ``columns`` (0..1) as percentages (0..100) for ``percent_column``."""
    frame = frame.copy()
    for c in columns:
        if c in frame:
            frame[c] = frame[c] * 100
    return frame


def percent_column(label: str, progress: bool = False, **kwargs: Any) -> Any:
    """A table column of percentages (values from ``as_percent``), one decimal like ``fmt_metric``; a bar when
    ``progress``. Streamlit's own "percent" format writes two decimals, which made the pages disagree."""
    if progress:
        return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format=PERCENT, **kwargs)
    return st.column_config.NumberColumn(label, format=PERCENT, **kwargs)
