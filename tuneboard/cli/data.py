"""``inspect``: read a data file and report what Tuneboard finds in it."""
from __future__ import annotations

import argparse
import json
from typing import Any

from tuneboard.cli.options import columns


def add_parser(sub: Any) -> None:
    sp = sub.add_parser("inspect", help="read a data file and report what Tuneboard finds in it")
    sp.add_argument("data")
    columns(sp)
    sp.add_argument("--text-pair-column", help="second text column for text-pair tasks")
    sp.add_argument("--encoding", help="file encoding (detected when omitted), e.g. gb18030, big5, latin-1")
    sp.add_argument("--sheet", help="Excel sheet to read (default: the first)")
    sp.add_argument("--model", default="default", help="model whose tokenizer is checked (default: bundled)")
    sp.add_argument("--max-length", type=int, default=128, help="max tokens per example to check against (default 128)")
    sp.add_argument("--json", action="store_true", help="print the report as JSON")
    sp.set_defaults(handler=cmd_inspect)


def cmd_inspect(args: argparse.Namespace) -> int:
    from tuneboard.data.health import format_report, inspect_file

    report = inspect_file(args.data, text_column=args.text_column, label_column=args.label_column,
                          text_pair_column=args.text_pair_column, encoding=args.encoding, sheet=args.sheet,
                          model=args.model, max_length=args.max_length)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0
