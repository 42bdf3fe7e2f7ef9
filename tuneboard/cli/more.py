"""The CLI's commands beyond training and using a run: ``search``, ``serve`` / ``api-key``, ``report``,
``distill`` and ``classes`` (their parsers and handlers; ``cli.py`` registers them and turns their errors into
exit codes)."""
from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from tuneboard.cli.progress import ProgressPrinter
from tuneboard.i18n import t


def setting(parser: Any, name: str) -> None:
    """Add the option of a ``TrainConfig`` setting: flag, type, default, choices and help come from the table."""
    from tuneboard.settings import cli_args

    flag, kwargs = cli_args(name)
    parser.add_argument(flag, dest=name, **kwargs)


def add_search_parser(sub: Any, columns: Any) -> None:
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


def cmd_search(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from tuneboard.config import TrainConfig
    from tuneboard.errors import ConfigError
    from tuneboard.search.study import Budget, resume_search, run_search

    budget = Budget(trials=args.trials, minutes=args.time_budget)
    printer = ProgressPrinter(quiet=args.quiet or args.json)
    stop = threading.Event()

    def on_trial(record: Any) -> None:
        t = record.trials[-1]
        value = f"{record.metric} {t.value:.4f}" if t.value is not None else "no score"
        print(f"trial {t.number}: {t.status} after {t.evaluations} evaluation(s), {value}  {t.params}",
              file=sys.stderr if args.json else sys.stdout, flush=True)

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
    counts = ", ".join(f"{n} {status}" for status, n in record.counts().items())
    print(f"study {record.study_id}: {record.status} ({counts})")
    if record.best_run_id:
        print(f"best: {record.metric} {record.best_value:.4f} with {record.best_params}")
        print(run_path(record.best_run_id))
    return 0


def run_path(run_id: str) -> Path:
    from tuneboard.paths import runs_root

    return runs_root() / run_id


def add_serve_parsers(sub: Any) -> None:
    sp = sub.add_parser("serve", help="serve a run as a prediction API (Hugging Face inference format)")
    sp.add_argument("run_dir", nargs="?", help="the run to serve (or --model NAME)")
    sp.add_argument("--model", dest="model_name", metavar="NAME",
                    help="serve the production version of a named model, swapped in place when it moves")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--backend", choices=["torch", "onnx", "onnx-int8"], default="torch",
                    help="torch (default), or the ONNX fp32 / int8 export (made on first use)")
    sp.add_argument("--api-keys", help="file of hashed API keys; clients then send 'Authorization: Bearer <key>'")
    sp.add_argument("--store-texts", action="store_true",
                    help="keep served texts in the monitor log (default: a keyed hash and the length only)")
    sp.add_argument("--allow-no-key", action="store_true",
                    help="serve a network --host without --api-keys (anyone who reaches the port may use it)")
    _limit_flags(sp)
    sp = sub.add_parser("api-key", help="make an API key, append its hash to FILE and print the key once")
    sp.add_argument("file")
    sp.add_argument("--name", default="", help="a note stored beside the hash (who the key is for)")


LIMIT_FLAGS = {  # ServeLimits / Retention field: (flag, type, help)
    "max_connections": ("--max-connections", int, "open connections at most; more get a 503 (default %(default)s, "
                        "kept below the file limit)"),
    "timeout_s": ("--timeout", float, "seconds a client has to send a request's headers, then its body "
                  "(default %(default)s)"),
    "keep_alive_s": ("--keep-alive", float, "seconds an idle connection stays open (default %(default)s)"),
    "max_in_flight": ("--max-in-flight", int, "requests read or answered at once; more get a fast 503 with "
                      "Retry-After (default %(default)s)"),
    "max_in_flight_bytes": ("--max-in-flight-bytes", int, "their bodies' bytes together (default %(default)s)"),
    "max_body_bytes": ("--max-body-bytes", int, "one request body at most (default %(default)s)"),
    "rows": ("--keep-rows", int, "monitor log: keep the newest N predictions (default %(default)s; 0 = all)"),
    "days": ("--keep-days", float, "monitor log: drop predictions older than D days (default %(default)s; 0 = never)"),
}


def _limit_flags(sp: argparse.ArgumentParser) -> None:
    from dataclasses import fields

    from tuneboard.serve.guard import ServeLimits
    from tuneboard.serve.monitor import Retention

    defaults = {f.name: f.default for cls in (ServeLimits, Retention) for f in fields(cls)}
    group = sp.add_argument_group("limits")
    for name, (flag, kind, text) in LIMIT_FLAGS.items():
        group.add_argument(flag, dest=name, type=kind, default=defaults[name], help=text)


def cmd_serve(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from tuneboard.serve.api import serve
    from tuneboard.serve.guard import ServeLimits
    from tuneboard.serve.monitor import Retention

    if (args.run_dir is None) == (args.model_name is None):
        from tuneboard.errors import ConfigError

        raise ConfigError(t("registry.cli.serve_one"))
    limits = ServeLimits(**{f.name: getattr(args, f.name) for f in fields(ServeLimits)})
    retention = Retention(rows=args.rows, days=args.days)
    serve(args.run_dir, host=args.host, port=args.port, backend=args.backend, api_keys=args.api_keys,
          store_texts=args.store_texts, allow_no_key=args.allow_no_key, limits=limits, retention=retention,
          model_name=args.model_name)
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    from tuneboard.serve.api import add_api_key

    print(add_api_key(args.file, args.name))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from tuneboard.evaluate.report import write_report
    from tuneboard.i18n import set_language

    set_language(args.lang)
    path = write_report(args.run_dir, args.output)
    size = path.stat().st_size
    print(f"wrote {path} ({size / 1e6:.1f} MB" if size >= 1e6 else f"wrote {path} ({size / 1e3:.0f} KB",
          end="): open it in a browser, no server needed\n")
    return 0


def code_pairs(items: list[str] | None) -> dict[str, str]:
    """``CODE=TEXT`` arguments as ``{code: text}``; an argument without ``=`` or without a code is refused."""
    from tuneboard.errors import ConfigError
    from tuneboard.i18n import t

    out = {}
    for item in items or []:
        code, sep, value = item.partition("=")
        if not sep or not code.strip():
            raise ConfigError(t("classes.err.cli_pair", item=item))
        out[code.strip()] = value
    return out


def add_classes_parser(sub: Any) -> None:
    sp = sub.add_parser("classes", help="list a trained run's classes, or rename them (no retraining)")
    sp.add_argument("run_dir")
    sp.add_argument("names", nargs="*", metavar="CODE=NAME", help="new names by code (as listed); none: just list")
    sp.add_argument("--description", action="append", metavar="CODE=TEXT", help="a class's description (repeat)")


def cmd_classes(args: argparse.Namespace) -> int:
    from tuneboard.classnames import ClassName
    from tuneboard.i18n import t
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


def add_distill_parser(sub: Any) -> None:
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
        print(f"{result.status}: student of {m['distilled_from']}: {m['main_metric']} {m[m['main_metric']]:.4f} "
              f"on {m['n_val']} validation rows, {m['wall_time_s']:.1f} s")
    print(result.run.path)
    return 0
