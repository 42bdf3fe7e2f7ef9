"""``python -m tuneboard COMMAND``: the parser is built from one module per command group (``COMMANDS``).

A command module has ``add_parser(sub)``, which adds its commands and sets each one's handler with
``set_defaults(handler=...)``; a new group is a new module and one more name in ``COMMANDS``.
Named errors become one line on stderr and exit code 2; anything else is a bug: one line, the
full traceback in a log file, exit code 1. Nobody sees a traceback. Every line is in the language of
``--lang``, else of the environment (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

from tuneboard.cli import classes, data, distill, evaluate, label, models, predict, reproduce, search, serve, train
from tuneboard.errors import TuneboardError, first_line
from tuneboard.files import open_private, private_dir
from tuneboard.i18n import LANGUAGES, pick_language, set_language, t

# In the order `--help` lists them
COMMANDS = (data, label, train, evaluate, predict, serve, models, search, distill, classes, reproduce)
LANG_HELP = "the language of the command's messages: en or zh (default: from LC_ALL / LC_MESSAGES / LANG)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tuneboard", description="Fine-tune a transformer on a labeled table.")
    p.add_argument("--lang", dest="cli_lang", choices=list(LANGUAGES), help=LANG_HELP)
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.add_parser(sub)
    for command in sub.choices.values():  # after a command's name too (`report` has its own --lang)
        if "--lang" not in command._option_string_actions:
            command.add_argument("--lang", dest="cli_lang", choices=list(LANGUAGES), default=argparse.SUPPRESS,
                                 help=LANG_HELP)
    return p


def cli_language(args: argparse.Namespace, environ: dict[str, str] | os._Environ = os.environ) -> str:
    """``--lang``, else the first language the environment names (POSIX order), else English."""
    wanted = getattr(args, "cli_lang", None) or getattr(args, "report_lang", None)
    if wanted:
        return wanted
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):  # the first one set decides, as for every program (C.UTF-8 means English)
            return pick_language(environ[name])
    return "en"


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    set_language(cli_language(args))
    try:
        return args.handler(args)
    except TuneboardError as e:
        print(t("cli.error", message=e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(t("cli.interrupted"), file=sys.stderr)
        return 130
    except Exception as e:  # a bug: keep the details in a file, show one line
        log = _write_crash_log()
        print(t("cli.unexpected", kind=type(e).__name__, reason=first_line(e, 1000), log=log), file=sys.stderr)
        return 1


def _write_crash_log() -> str:
    from tuneboard.paths import workspace

    folder = workspace().logs
    try:
        private_dir(folder)
    except OSError:
        import tempfile

        folder = Path(tempfile.gettempdir())
    path = folder / f"tuneboard-crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    with open_private(path, "w", encoding="utf-8") as f:  # a traceback can quote a person's text
        f.write(traceback.format_exc())
    return str(path)
