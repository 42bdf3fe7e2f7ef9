"""``train``: fine-tune a model on a table, go on with an interrupted run (``--resume``), or train in N
processes; Ctrl-C asks the run to stop and keep its best model."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from tuneboard.cli.options import code_pairs, columns, listing, setting, status_word
from tuneboard.cli.progress import ProgressPrinter
from tuneboard.i18n import said, t
from tuneboard.protocol import RunStatus
from tuneboard.settings import SETTINGS

# Every setting with a flag in the settings table is a `train` option, added and read back by name (so a new
# row cannot be accepted on the command line and then dropped on the way to TrainConfig).
FLAGGED = tuple(name for name, s in SETTINGS.items() if s.flag)
PLACED = ("task", "val_size")  # added by hand: val_size shares a group with --validation


def add_parser(sub: Any) -> None:
    sp = sub.add_parser("train", help="fine-tune a model on DATA, or --resume an interrupted run")
    sp.add_argument("data", nargs="?")
    sp.add_argument("--resume", metavar="RUN_DIR", help="go on with an interrupted run from its last checkpoint")
    columns(sp)
    sp.add_argument("--text-pair-column", help="second text column for text-pair tasks")
    setting(sp, "task")
    val = sp.add_mutually_exclusive_group()
    val.add_argument("--validation", help="a separate validation file")
    setting(val, "val_size")
    sp.add_argument("--model", default="default", help="'default', a local folder, or a hub id")
    for name in (n for n in FLAGGED if n not in PLACED):
        setting(sp, name)
    sp.add_argument("--encoding")
    sp.add_argument("--class", dest="classes", action="append", metavar="CODE=NAME",
                    help="train on NAME where the label is CODE (repeat: --class 0=negative --class 1=positive)")
    sp.add_argument("--output", help="parent folder of the run folder (default models/runs)")
    sp.add_argument("--name", help="a name for the run")
    sp.add_argument("--quiet", action="store_true", help="print only the run folder")
    sp.add_argument("--processes", type=int, default=1, metavar="N",
                    help="train data-parallel in N processes: launches accelerate (one process per GPU; gloo on CPU)")
    sp.add_argument("--run-dir", help=argparse.SUPPRESS)  # train a queued run folder (how launch.py starts ranks)
    sp.set_defaults(handler=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    from tuneboard.errors import ConfigError
    from tuneboard.train import distributed

    run, resume = None, False
    if distributed.launched():
        from tuneboard.runs.liveness import end_with_parent

        end_with_parent()  # a rank started by a server (launch.py) or a CLI run ends when that process does
    if distributed.launched() and not distributed.setup(_device(args)).is_main:  # a rank other than 0
        return _train_replica(args)
    if args.resume:
        cfg, run, resume = *resume_target(args.resume), True
    elif args.run_dir:
        from tuneboard.runs.folder import open_run

        run = open_run(args.run_dir)
        cfg = run.config()
    elif not args.data:
        raise ConfigError(t("engine.err.cli.no_data"))
    else:
        cfg = config_from_args(args)
    if args.processes > 1 and not distributed.launched():  # start N ranks, follow rank 0's run folder
        from tuneboard.train.launch import train_processes

        result = train_processes(cfg, args.processes, ProgressPrinter(quiet=args.quiet), run, resume)
    else:
        try:
            result = _train_stoppable(cfg, ProgressPrinter(quiet=args.quiet), run, resume)
        finally:
            distributed.teardown()  # rank 0 of N leaves the process group; a no-op for one process
    if not args.quiet:
        print(result_line(result.status, result.metrics))
    print(result.run.path)
    return 0


def config_from_args(args: argparse.Namespace) -> Any:
    """The ``TrainConfig`` that ``train``'s options describe."""
    from tuneboard.classnames import ClassName
    from tuneboard.config import TrainConfig

    classes = tuple(ClassName(code, name) for code, name in code_pairs(args.classes).items())
    return TrainConfig(data=args.data, text_column=args.text_column, label_column=args.label_column,
                       text_pair_column=args.text_pair_column, model=args.model, encoding=args.encoding,
                       validation=args.validation, output_dir=args.output, run_name=args.name, classes=classes,
                       **{name: getattr(args, name) for name in FLAGGED})


def _device(args: argparse.Namespace) -> str:
    """The device setting of the run being trained (a run folder's own, for --resume and --run-dir)."""
    folder = args.resume or args.run_dir
    if folder:
        from tuneboard.runs.folder import open_run

        return open_run(folder).config().device
    return args.device


def _train_replica(args: argparse.Namespace) -> int:
    """Ranks 1..N-1: train beside rank 0 and write nothing (the run folder is rank 0's)."""
    from tuneboard.runs.folder import open_run
    from tuneboard.train import distributed
    from tuneboard.train.launch import train_replica

    folder = args.resume or args.run_dir
    cfg = open_run(folder).config() if folder else config_from_args(args)
    try:
        train_replica(cfg, open_run(args.resume).path if args.resume else None)
    finally:
        distributed.teardown()
    return 0


def result_line(status: str, m: dict[str, Any]) -> str:
    """``completed: accuracy 0.9 on 120 validation rows, 350.0 samples/s, 12.3 s`` (the TF-IDF model
    has no samples/s: the parts a run did not record are left out)."""
    name, word = m.get("main_metric"), status_word(status)
    first = (t("cli.result.score", status=word, metric=name, value=f"{m[name]:.4f}")
             if isinstance(m.get(name), (int, float)) else t("cli.result.status", status=word))
    parts = [first + (t("cli.result.rows", n=m["n_val"]) if "n_val" in m else "")]
    if isinstance(m.get("train_samples_per_second"), (int, float)):
        parts.append(t("cli.result.speed", speed=f"{m['train_samples_per_second']:.1f}"))
    if isinstance(m.get("wall_time_s"), (int, float)):
        parts.append(t("cli.result.seconds", seconds=f"{m['wall_time_s']:.1f}"))
    return listing(parts)


def _train_stoppable(cfg: Any, printer: Any, run: Any = None, resume: bool = False) -> Any:
    """Train in a worker thread so Ctrl-C can be a request: the first one stops gracefully (the best
    model so far is kept, the run ends "stopped"), a second one aborts at once."""
    from tuneboard.runs.folder import create_run
    from tuneboard.train.pipeline import check_config, execute

    data = None if resume else check_config(cfg)  # a resumed run reads its data again inside execute
    run = run or create_run(cfg)
    if threading.current_thread() is not threading.main_thread():  # signals reach only the main thread
        return execute(cfg, on_event=printer, run=run, data=data, resume=resume)
    stop, box = threading.Event(), {}

    def work() -> None:
        try:
            box["result"] = execute(cfg, on_event=printer, stop=stop, run=run, data=data, resume=resume)
        except BaseException as e:  # re-raised in the main thread, where main() reports it
            box["error"] = e

    def on_sigint(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print(t("cli.train.stopping"), file=sys.stderr, flush=True)

    worker = threading.Thread(target=work, name="tuneboard-train", daemon=True)
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        run.set_status(RunStatus.FAILED, said("engine.reason.aborted_ctrl_c", path=str(run.path)))
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if "error" in box:
        raise box["error"]
    return box["result"]


def resume_target(run_dir: str) -> tuple[Any, Any]:
    """The config and folder of an interrupted run (one-line errors otherwise)."""
    from tuneboard.runs.folder import open_run
    from tuneboard.train.checkpoint import check_resumable, read_config

    run = open_run(run_dir)
    cfg = read_config(run)
    check_resumable(run)
    return cfg, run
