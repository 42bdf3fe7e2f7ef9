"""``search``: several runs with different settings, the bad ones pruned early, the best one named."""
from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from tuneboard.cli.options import columns, listing, setting, status_word
from tuneboard.cli.progress import ProgressPrinter
from tuneboard.i18n import t


def add_parser(sub: Any) -> None:
    sp = sub.add_parser("search", help="search the best settings for DATA: several runs, bad ones pruned early")
    sp.add_argument("data", nargs="?", help="the data file (not with --resume)")
    columns(sp)
    budget = sp.add_argument_group("budget (one or both; whichever ends first)")
    budget.add_argument("--trials", type=int, help="number of runs to try (e.g. 6)")
    budget.add_argument("--time-budget", type=float, metavar="MIN",
                        help="minutes after which no new run starts (the one running finishes)")
    sp.add_argument("--model", default="default", help="'default', a local folder, or a hub id")
    for name in ("preset", "seed", "device", "mlflow"):
        setting(sp, name)
    sp.add_argument("--resume", metavar="STUDY_ID", help="go on with a study (after a restart) instead of a new one")
    sp.add_argument("--json", action="store_true", help="print the study as JSON at the end")
    sp.add_argument("--quiet", action="store_true", help="print only the trials and the best run")
    sp.set_defaults(handler=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from tuneboard.config import TrainConfig
    from tuneboard.errors import ConfigError
    from tuneboard.search.study import Budget, resume_search, run_search

    budget = Budget(trials=args.trials, minutes=args.time_budget)
    printer = ProgressPrinter(quiet=args.quiet or args.json)
    stop = threading.Event()

    def on_trial(record: Any) -> None:
        trial = record.trials[-1]
        value = f"{record.metric} {trial.value:.4f}" if trial.value is not None else t("cli.search.no_score")
        print(t("cli.search.trial", number=trial.number, status=status_word(trial.status), n=trial.evaluations,
                value=value, params=trial.params), file=sys.stderr if args.json else sys.stdout, flush=True)

    try:
        if args.resume:
            record = resume_search(args.resume, budget, on_event=printer, stop=stop)
        else:
            if not args.data:
                raise ConfigError(t("engine.err.cli.no_data"))
            base = TrainConfig(data=args.data, text_column=args.text_column, label_column=args.label_column,
                               model=args.model, preset=args.preset, seed=args.seed, device=args.device,
                               mlflow=args.mlflow)
            record = run_search(base, budget, on_event=printer, stop=stop, on_trial=on_trial)
    except KeyboardInterrupt:
        stop.set()
        raise
    if args.json:
        print(json.dumps(asdict(record), ensure_ascii=False, default=str))
        return 0
    counts = listing([f"{n} {status_word(status)}" for status, n in record.counts().items()])
    print(t("cli.search.study", study=record.study_id, status=status_word(record.status), counts=counts))
    if record.best_run_id:
        print(t("cli.search.best", metric=record.metric, value=f"{record.best_value:.4f}",
                params=record.best_params))
        print(run_path(record.best_run_id))
    return 0


def run_path(run_id: str) -> Path:
    from tuneboard.paths import runs_root

    return runs_root() / run_id
