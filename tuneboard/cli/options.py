"""What several commands share: the column options, a setting's option from the settings table, ``CODE=TEXT``
pairs, and how the CLI says a status or a list in the reader's language."""
from __future__ import annotations

import argparse
from typing import Any

from tuneboard.i18n import t

# A status as the CLI prints it (English: the status itself, as scripts reading the output expect)
STATUS_WORDS = {"queued": "cli.status.queued", "running": "cli.status.running", "stopping": "cli.status.stopping",
                "completed": "cli.status.completed", "stopped": "cli.status.stopped", "failed": "cli.status.failed",
                "interrupted": "cli.status.interrupted", "unknown": "cli.status.unknown",
                "complete": "cli.status.complete", "pruned": "cli.status.pruned"}


def status_word(status: Any) -> str:
    """A run's or a trial's status in the current language (one this version does not know, as written)."""
    key = STATUS_WORDS.get(str(status))
    return t(key) if key else str(status)


def listing(parts: list[str]) -> str:
    """Parts of one line joined the way the current language separates them."""
    return t("cli.separator").join(parts)


def columns(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--text-column", help="column with the text (detected when omitted)")
    sp.add_argument("--label-column", help="column with the label (detected when omitted)")


def setting(parser: Any, name: str) -> None:
    """Add the option of a ``TrainConfig`` setting: flag, type, default, choices and help come from the table."""
    from tuneboard.settings import cli_args

    flag, kwargs = cli_args(name)
    parser.add_argument(flag, dest=name, **kwargs)


def code_pairs(items: list[str] | None) -> dict[str, str]:
    """``CODE=TEXT`` arguments as ``{code: text}``; an argument without ``=`` or without a code is refused."""
    from tuneboard.errors import ConfigError

    out = {}
    for item in items or []:
        code, sep, value = item.partition("=")
        if not sep or not code.strip():
            raise ConfigError(t("classes.err.cli_pair", item=item))
        out[code.strip()] = value
    return out


def size_text(size: int) -> str:
    """A file's size as the CLI says it: MB from one megabyte, KB below."""
    return t("cli.size_mb", size=f"{size / 1e6:.1f}") if size >= 1e6 else t("cli.size_kb", size=f"{size / 1e3:.0f}")
