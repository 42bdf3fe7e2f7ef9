"""``predict`` and ``export``: use a trained run on texts or a file, or zip it to take elsewhere."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tuneboard.i18n import t


def add_parser(sub: Any) -> None:
    sp = sub.add_parser("predict", help="predict labels with a trained run")
    sp.add_argument("run_dir")
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", action="append", help="a text to classify (repeatable)")
    src.add_argument("--input", help="a file to predict (writes --output)")
    sp.add_argument("--output", help="where --input's predictions go (CSV)")
    sp.add_argument("--text-column", help="text column of --input (default: the run's)")
    sp.add_argument("--explain", action="store_true", help="with --text: the words that pushed toward the label")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(handler=cmd_predict)

    sp = sub.add_parser("export", help="zip a finished run's model with its settings, metrics and a model card")
    sp.add_argument("run_dir")
    sp.add_argument("--output", help="the zip file to write (default models/exports/<run>[-<format>].zip)")
    sp.add_argument("--format", choices=["hf", "onnx", "onnx-int8"], default="hf",
                    help="hf: the model folder (default); onnx / onnx-int8: ONNX fp32 / int8, parity-checked")
    sp.set_defaults(handler=cmd_export)


def cmd_predict(args: argparse.Namespace) -> int:
    from tuneboard.data.readers import read_table
    from tuneboard.errors import ConfigError
    from tuneboard.files import safe_csv
    from tuneboard.predict.inference import Predictor
    from tuneboard.runs.folder import open_run

    run = open_run(args.run_dir)
    if args.input and not args.output:
        raise ConfigError(t("cli.err.input_needs_output"))
    predictor = Predictor.load(run.path)
    if args.explain and not args.text:
        raise ConfigError(t("cli.err.explain_needs_text"))
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
        print(t("cli.predict.wrote", n=len(out), path=args.output))
    return 0


def _print_explanations(predictor: Any, texts: list[str], as_json: bool) -> int:
    from tuneboard.predict.explanations import explain

    for e in explain(predictor, texts):
        if as_json:
            print(json.dumps(e.to_dict(), ensure_ascii=False))
            continue
        toward = ", ".join(f"{w.text} ({w.weight:+.2f})" for w in e.top(5))
        against = ", ".join(f"{w.text} ({w.weight:+.2f})" for w in e.top(5, toward=False))
        print(t("cli.predict.explained", label=e.label, score=f"{e.score:.3f}", text=e.text, toward=toward or "-",
                against=against or "-"))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tuneboard.serve.export import export_run

    if args.format != "hf":
        from tuneboard.serve.onnx import export_onnx_zip

        path = export_onnx_zip(args.run_dir, args.format, Path(args.output) if args.output else None)
    else:
        path = export_run(args.run_dir, Path(args.output) if args.output else None)
    print(t("cli.export.wrote", path=path, size=t("cli.size_mb", size=f"{path.stat().st_size / 1e6:.1f}")))
    return 0
