"""``python -m tuneboard reproduce RUN [--output DIR]``: train a run again from its receipt and print how far
each metric moved (the engine: lifecycle/reproduce.py)."""
from __future__ import annotations

import argparse
import json
from typing import Any

from tuneboard.cli.progress import ProgressPrinter
from tuneboard.i18n import t


def add_parser(sub: Any) -> None:
    sp = sub.add_parser("reproduce", help="train a run again from its receipt and report the metric differences")
    sp.add_argument("run_dir", help="the run folder or run id")
    sp.add_argument("--output", help="parent folder of the new run folder (default: beside the run)")
    sp.add_argument("--quiet", action="store_true", help="print only the differences")
    sp.add_argument("--json", action="store_true", help="print the comparison as JSON")
    sp.set_defaults(handler=cmd_reproduce)


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Exit 0 when every difference is within the tolerance, 3 when one is not (the data matched)."""
    from tuneboard.lifecycle.reproduce import reproduce

    printer = ProgressPrinter(quiet=args.quiet or args.json)
    out = reproduce(args.run_dir, args.output, on_event=printer)
    if args.json:
        print(json.dumps(out.to_dict(), indent=2, default=str))
        return 0 if out.matches else 3
    width = max((len(k) for k in out.differences), default=6)
    for name, diff in sorted(out.differences.items()):
        print(f"  {name:<{width}}  {diff:.3g}")
    print(t("receipts.cli.max_diff", diff=f"{out.max_abs_diff:.3g}",
            scores="-" if out.scores_max_abs_diff is None else f"{out.scores_max_abs_diff:.3g}",
            tolerance=f"{out.tolerance:g}"))
    print(t("receipts.cli.matches", run_id=out.reproduced) if out.matches
          else t("receipts.cli.differs", run_id=out.reproduced))
    for note in out.notes:
        print(f"  - {note}")
    return 0 if out.matches else 3
