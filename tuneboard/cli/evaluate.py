"""``evaluate``, ``compare`` and ``report``: how good a trained run is, against a file or other runs, and a
report of it for stakeholders."""
from __future__ import annotations

import argparse
import json
from typing import Any

from tuneboard.cli.options import columns, size_text, status_word
from tuneboard.i18n import t


def add_parser(sub: Any) -> None:
    sp = sub.add_parser("evaluate", help="score a trained run on a labeled file")
    sp.add_argument("run_dir")
    sp.add_argument("data")
    columns(sp)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(handler=cmd_evaluate)

    sp = sub.add_parser("compare", help="compare two or more runs: metrics, baselines, settings")
    sp.add_argument("run_dirs", nargs="+")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(handler=cmd_compare)

    sp = sub.add_parser("report", help="write a self-contained HTML report of a finished run for stakeholders")
    sp.add_argument("run_dir")
    sp.add_argument("--output", help="the HTML file to write (default RUN_DIR/report.html)")
    # the report's language, and the command's too when given
    sp.add_argument("--lang", dest="report_lang", choices=["en", "zh"], help="the report's language (default en)")
    sp.set_defaults(handler=cmd_report)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tuneboard.evaluate.evaluation import evaluate_file

    m = evaluate_file(args.run_dir, args.data, args.text_column, args.label_column)
    if args.json:
        print(json.dumps(m, ensure_ascii=False))
        return 0
    keys = [k for k in ("accuracy", "macro_f1", "weighted_f1", "micro_f1", "mae", "rmse", "r2") if k in m]
    print(t("cli.evaluate.rows", n=m["n"], scores="  ".join(f"{k} {m[k]:.4f}" for k in keys)))
    for name, row in m.get("per_class", {}).items():
        print(t("cli.evaluate.class", name=name, precision=f"{row['precision']:.3f}", recall=f"{row['recall']:.3f}",
                f1=f"{row['f1']:.3f}", support=row["support"]))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from tuneboard.evaluate.compare import compare_runs

    result = compare_runs(args.run_dirs)
    if args.json:
        print(json.dumps({k: result[k] for k in ("rows", "config_diff")}, ensure_ascii=False, default=str))
        return 0
    for r in result["rows"]:
        base = t("cli.compare.baseline", value=f"{r['baseline_value']:.4f}") if r.get("baseline_value") is not None \
            else ""
        value = f"{r['value']:.4f}" if r.get("value") is not None else t("cli.compare.no_value")
        print(f"{r['run_id']}  {status_word(r['status']):<10} {r['model']:<24} {r['main_metric']} {value}{base}")
    for key, values in result["config_diff"].items():
        print(f"  {key}: " + ", ".join(f"{rid[:24]}={v}" for rid, v in values.items()))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from tuneboard.evaluate.report import write_report
    from tuneboard.i18n import language, set_language

    said_in = language()
    set_language(args.report_lang or "en")  # the report is in English unless asked
    try:
        path = write_report(args.run_dir, args.output)
    finally:
        set_language(said_in)
    print(t("cli.report.wrote", path=path, size=size_text(path.stat().st_size)))
    return 0
