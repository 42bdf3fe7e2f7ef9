"""``distill``: make a finished run smaller by training a student on its soft labels."""
from __future__ import annotations

import argparse
import threading
from typing import Any

from tuneboard.cli.options import status_word
from tuneboard.cli.progress import ProgressPrinter
from tuneboard.i18n import t


def add_parser(sub: Any) -> None:
    sp = sub.add_parser("distill", help="make a finished run smaller: train a student on its soft labels")
    sp.add_argument("run_dir", help="the teacher: a completed classification run")
    sp.add_argument("--layers", type=int, help="student = the teacher's first K layers (default: half of them)")
    sp.add_argument("--student", help="or: a smaller local model folder to train as the student")
    sp.add_argument("--temperature", type=float, default=2.0, help="softens the teacher's labels (default 2)")
    sp.add_argument("--alpha", type=float, default=0.5,
                    help="share of the teacher's soft labels in the loss; the rest is the true labels (default 0.5)")
    sp.add_argument("--epochs", type=int, help="epochs (default: twice the teacher's)")
    sp.add_argument("--unlabeled", help="a file of extra unlabeled rows that only the teacher labels")
    sp.add_argument("--quiet", action="store_true", help="print only the student's run folder")
    sp.set_defaults(handler=cmd_distill)


def cmd_distill(args: argparse.Namespace) -> int:
    from tuneboard.train.distillation import DistillSettings, distill

    settings = DistillSettings(layers=args.layers, student=args.student, temperature=args.temperature,
                               alpha=args.alpha, epochs=args.epochs, unlabeled=args.unlabeled)
    stop = threading.Event()
    try:
        result = distill(args.run_dir, settings, on_event=ProgressPrinter(quiet=args.quiet), stop=stop)
    except KeyboardInterrupt:
        stop.set()
        raise
    m = result.metrics
    if not args.quiet:
        print(t("cli.distill.result", status=status_word(result.status), teacher=m["distilled_from"],
                metric=m["main_metric"], value=f"{m[m['main_metric']]:.4f}", n=m["n_val"],
                seconds=f"{m['wall_time_s']:.1f}"))
    print(result.run.path)
    return 0
