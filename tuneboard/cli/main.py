"""``python -m tuneboard inspect|train|search|evaluate|predict|compare|export|report|serve|distill``.

Named errors become one line on stderr and exit code 2; anything else is a bug: one line, the
full traceback in a log file, exit code 1. Nobody sees a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from tuneboard.cli import models
from tuneboard.cli.more import (
    add_classes_parser,
    add_distill_parser,
    add_search_parser,
    add_serve_parsers,
    cmd_api_key,
    cmd_classes,
    cmd_distill,
    cmd_report,
    cmd_search,
    cmd_serve,
    code_pairs,
    setting,
)
from tuneboard.cli.progress import ProgressPrinter
from tuneboard.errors import TuneboardError, first_line
from tuneboard.files import open_private, private_dir
from tuneboard.i18n import t
from tuneboard.protocol import RunStatus
from tuneboard.settings import SETTINGS

# Every setting with a flag in the settings table is a `train` option, added and read back by name (so a new
# row cannot be accepted on the command line and then dropped on the way to TrainConfig).
FLAGGED = tuple(name for name, s in SETTINGS.items() if s.flag)
PLACED = ("task", "val_size")  # added by hand: val_size shares a group with --validation


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tuneboard", description="Fine-tune a transformer on a labeled table.")
    sub = p.add_subparsers(dest="command", required=True)

    def columns(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--text-column", help="column with the text (detected when omitted)")
        sp.add_argument("--label-column", help="column with the label (detected when omitted)")

    sp = sub.add_parser("inspect", help="read a data file and report what Tuneboard finds in it")
    sp.add_argument("data")
    columns(sp)
    sp.add_argument("--text-pair-column", help="second text column for text-pair tasks")
    sp.add_argument("--encoding", help="file encoding (detected when omitted), e.g. gb18030, big5, latin-1")
    sp.add_argument("--sheet", help="Excel sheet to read (default: the first)")
    sp.add_argument("--model", default="default", help="model whose tokenizer is checked (default: bundled)")
    sp.add_argument("--max-length", type=int, default=128, help="max tokens per example to check against (default 128)")
    sp.add_argument("--json", action="store_true", help="print the report as JSON")

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

    sp = sub.add_parser("evaluate", help="score a trained run on a labeled file")
    sp.add_argument("run_dir")
    sp.add_argument("data")
    columns(sp)
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("predict", help="predict labels with a trained run")
    sp.add_argument("run_dir")
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", action="append", help="a text to classify (repeatable)")
    src.add_argument("--input", help="a file to predict (writes --output)")
    sp.add_argument("--output", help="where --input's predictions go (CSV)")
    sp.add_argument("--text-column", help="text column of --input (default: the run's)")
    sp.add_argument("--explain", action="store_true", help="with --text: the words that pushed toward the label")
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("compare", help="compare two or more runs: metrics, baselines, settings")
    sp.add_argument("run_dirs", nargs="+")
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("export", help="zip a finished run's model with its settings, metrics and a model card")
    sp.add_argument("run_dir")
    sp.add_argument("--output", help="the zip file to write (default models/exports/<run>[-<format>].zip)")
    sp.add_argument("--format", choices=["hf", "onnx", "onnx-int8"], default="hf",
                    help="hf: the model folder (default); onnx / onnx-int8: ONNX fp32 / int8, parity-checked")
    add_serve_parsers(sub)
    add_search_parser(sub, columns)

    sp = sub.add_parser("report", help="write a self-contained HTML report of a finished run for stakeholders")
    sp.add_argument("run_dir")
    sp.add_argument("--output", help="the HTML file to write (default RUN_DIR/report.html)")
    sp.add_argument("--lang", choices=["en", "zh"], default="en", help="the report's language (default en)")
    add_distill_parser(sub)
    add_classes_parser(sub)
    models.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if hasattr(args, "handler"):  # a command module's own handler (set_defaults)
            return args.handler(args)
        return {"inspect": cmd_inspect, "train": cmd_train, "evaluate": cmd_evaluate,
                "predict": cmd_predict, "compare": cmd_compare,
                "export": cmd_export, "serve": cmd_serve, "api-key": cmd_api_key,
                "search": cmd_search, "report": cmd_report, "distill": cmd_distill,
                "classes": cmd_classes}[args.command](args)
    except TuneboardError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: keep the details in a file, show one line
        log = _write_crash_log()
        print(f"unexpected failure: {type(e).__name__}: {first_line(e, 1000)} "
              f"(full log: {log})", file=sys.stderr)
        return 1


def cmd_inspect(args: argparse.Namespace) -> int:
    from tuneboard.data.health import format_report, inspect_file

    report = inspect_file(args.data, text_column=args.text_column, label_column=args.label_column,
                          text_pair_column=args.text_pair_column, encoding=args.encoding, sheet=args.sheet,
                          model=args.model, max_length=args.max_length)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


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
        cfg = _config_from_args(args)
    if args.processes > 1 and not distributed.launched():  # start N ranks, follow rank 0's run folder
        from tuneboard.train.launch import train_processes

        result = train_processes(cfg, args.processes, ProgressPrinter(quiet=args.quiet), run, resume)
    else:
        try:
            result = _train_stoppable(cfg, ProgressPrinter(quiet=args.quiet), run, resume)
        finally:
            distributed.teardown()  # rank 0 of N leaves the process group; a no-op for one process
    if not args.quiet:
        print(_result_line(result.status, result.metrics))
    print(result.run.path)
    return 0


def _config_from_args(args: argparse.Namespace) -> Any:
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
    cfg = open_run(folder).config() if folder else _config_from_args(args)
    try:
        train_replica(cfg, open_run(args.resume).path if args.resume else None)
    finally:
        distributed.teardown()
    return 0


def _result_line(status: str, m: dict[str, Any]) -> str:
    """``completed: accuracy 0.9 on 120 validation rows, 350.0 samples/s, 12.3 s`` (the TF-IDF model
    has no samples/s: the parts a run did not record are left out)."""
    name = m.get("main_metric")
    parts = [f"{status}: {name} {m[name]:.4f}" if isinstance(m.get(name), (int, float)) else f"{status}:"]
    parts[0] += f" on {m['n_val']} validation rows" if "n_val" in m else ""
    if isinstance(m.get("train_samples_per_second"), (int, float)):
        parts.append(f"{m['train_samples_per_second']:.1f} samples/s")
    if isinstance(m.get("wall_time_s"), (int, float)):
        parts.append(f"{m['wall_time_s']:.1f} s")
    return ", ".join(parts)


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
        print("stopping after the current step and keeping the best model so far (Ctrl-C again to abort)",
              file=sys.stderr, flush=True)

    worker = threading.Thread(target=work, name="tuneboard-train", daemon=True)
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        run.set_status(RunStatus.FAILED, "Aborted with a second Ctrl-C. `python -m tuneboard train --resume "
                       f"{run.path}` goes on from the last checkpoint, if one was saved.")
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tuneboard.evaluate.evaluation import evaluate_file

    m = evaluate_file(args.run_dir, args.data, args.text_column, args.label_column)
    if args.json:
        print(json.dumps(m, ensure_ascii=False))
        return 0
    keys = [k for k in ("accuracy", "macro_f1", "weighted_f1", "micro_f1", "mae", "rmse", "r2") if k in m]
    print(f"{m['n']} rows: " + "  ".join(f"{k} {m[k]:.4f}" for k in keys))
    for name, row in m.get("per_class", {}).items():
        print(f"  {name:<24} precision {row['precision']:.3f}  recall {row['recall']:.3f}  "
              f"f1 {row['f1']:.3f}  support {row['support']}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from tuneboard.data.readers import read_table
    from tuneboard.errors import ConfigError
    from tuneboard.files import safe_csv
    from tuneboard.predict.inference import Predictor
    from tuneboard.runs.folder import open_run

    run = open_run(args.run_dir)
    if args.input and not args.output:
        raise ConfigError("--input needs --output: name the CSV file the predictions should be written to.")
    predictor = Predictor.load(run.path)
    if args.explain and not args.text:
        raise ConfigError("--explain works with --text: name the text(s) to explain.")
    if args.text and args.explain:
        return _print_explanations(predictor, args.text, args.json)
    if args.text:
        for r in predictor.predict(args.text):
            if args.json:
                print(json.dumps(r, ensure_ascii=False))
            else:
                top = max(r["scores"].values()) if r["scores"] else None
                print(
                    f"{r['label']}"
                    + (f"  ({top:.3f})" if top is not None and predictor.task == "single_label" else "")
                    + f"\t{r['text']}"
                )
        return 0
    df, _ = read_table(args.input)
    cfg = run.config()
    col = args.text_column or cfg.text_column
    if not col or col not in df.columns:
        from tuneboard.data.prepare import detect_columns

        col = detect_columns(df)[0] if not args.text_column else col
    if col not in df.columns:
        raise ConfigError(t("engine.err.cli.no_column", col=col, file=args.input))
    out = predictor.predict_frame(df, col, cfg.text_pair_column if cfg.text_pair_column in df.columns else None)
    safe_csv(out, args.output)  # atomic, and no cell a spreadsheet would run as a formula
    if args.json:
        for row in out.to_dict(orient="records"):
            print(json.dumps(row, ensure_ascii=False, default=str))
    else:
        print(f"wrote {len(out)} predictions to {args.output}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from tuneboard.evaluate.compare import compare_runs

    result = compare_runs(args.run_dirs)
    if args.json:
        print(json.dumps({k: result[k] for k in ("rows", "config_diff")}, ensure_ascii=False, default=str))
        return 0
    for r in result["rows"]:
        base = f"  (baseline {r['baseline_value']:.4f})" if r.get("baseline_value") is not None else ""
        value = f"{r['value']:.4f}" if r.get("value") is not None else "n/a"
        print(f"{r['run_id']}  {r['status']:<10} {r['model']:<24} {r['main_metric']} {value}{base}")
    for key, values in result["config_diff"].items():
        print(f"  {key}: " + ", ".join(f"{rid[:24]}={v}" for rid, v in values.items()))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tuneboard.serve.export import export_run

    if args.format != "hf":
        from tuneboard.serve.onnx import export_onnx_zip

        path = export_onnx_zip(args.run_dir, args.format, Path(args.output) if args.output else None)
    else:
        path = export_run(args.run_dir, Path(args.output) if args.output else None)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def _print_explanations(predictor: Any, texts: list[str], as_json: bool) -> int:
    from tuneboard.predict.explanations import explain

    for e in explain(predictor, texts):
        if as_json:
            print(json.dumps(e.to_dict(), ensure_ascii=False))
            continue
        toward = ", ".join(f"{w.text} ({w.weight:+.2f})" for w in e.top(5))
        against = ", ".join(f"{w.text} ({w.weight:+.2f})" for w in e.top(5, toward=False))
        print(f"{e.label}  ({e.score:.3f})\t{e.text}\n  toward: {toward or '-'}\n  against: {against or '-'}")
    return 0


def _write_crash_log() -> str:
    from tuneboard.paths import runs_root

    folder = runs_root().parent / "logs"
    try:
        private_dir(folder)
    except OSError:
        import tempfile

        folder = Path(tempfile.gettempdir())
    path = folder / f"tuneboard-crash-{time.strftime('%Y%m%d-%H%M%S')}.log"
    with open_private(path, "w", encoding="utf-8") as f:  # a traceback can quote a person's text
        f.write(traceback.format_exc())
    return str(path)
