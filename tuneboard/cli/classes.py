"""``classes``: list a trained run's classes, or rename them and describe them (no retraining)."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from tuneboard.cli.options import code_pairs
from tuneboard.i18n import t


def add_parser(sub: Any) -> None:
    sp = sub.add_parser("classes", help="list a trained run's classes, or rename them (no retraining)")
    sp.add_argument("run_dir")
    sp.add_argument("names", nargs="*", metavar="CODE=NAME", help="new names by code (as listed); none: just list")
    sp.add_argument("--description", action="append", metavar="CODE=TEXT", help="a class's description (repeat)")
    sp.set_defaults(handler=cmd_classes)


def cmd_classes(args: argparse.Namespace) -> int:
    from tuneboard.classnames import ClassName
    from tuneboard.lifecycle.classes import rename_classes, run_classes
    from tuneboard.runs.folder import open_run

    run = open_run(args.run_dir)
    names, texts = code_pairs(args.names), code_pairs(args.description)
    if names or texts:
        current = run_classes(run)
        known = {c.code for c in current}
        new = [ClassName(c.code, names.get(c.code, c.name), texts.get(c.code, c.description)) for c in current]
        new += [ClassName(code, names.get(code, code)) for code in {**names, **texts} if code not in known]
        if rename_classes(run.path, new).deployed:  # an unknown code is refused there, in one line
            print(t("classes.restart_deployment"), file=sys.stderr)
    for c in run_classes(open_run(run.path)):
        print("\t".join(x for x in (c.code, c.name, c.description) if x))
    return 0
