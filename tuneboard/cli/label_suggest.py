"""``python -m tuneboard label suggest TABLE --text-column C``: the rows to label next, with the model's guesses.

Rows are 0-based positions in the table as Tuneboard reads it; a row whose label cell is filled is never
suggested. ``--json`` prints one object per line: ``{"row": 17, "guess": "positive", "confidence": 0.52}``.
"""
from __future__ import annotations

import argparse
import json
import re
from typing import Any

from tuneboard.errors import DataError
from tuneboard.i18n import t

PREVIEW_CHARS = 80


def add_suggest(label_subparsers: Any) -> None:
    """Add ``suggest`` to the ``label`` command's subparsers; its handler is ``args.handler``."""
    from tuneboard.labeling import STRATEGIES

    sp = label_subparsers.add_parser("suggest", help="print the unlabeled rows to label next, with the model's guess")
    sp.add_argument("table", help="a CSV, Excel, Parquet or JSON table")
    sp.add_argument("--text-column", required=True, help="column with the text")
    sp.add_argument("--label-column", help="column with the labels so far (empty cells: unlabeled)")
    sp.add_argument("--n", type=int, default=10, help="how many rows to suggest (default 10)")
    sp.add_argument("--strategy", choices=STRATEGIES, default="uncertain",
                    help="uncertain: where the model is least sure, no near-duplicates (default); diverse: spread "
                         "over the table; random")
    sp.add_argument("--seed", type=int, default=0, help="seed for random choices (default 0)")
    sp.add_argument("--embed", action="store_true",
                    help="first embed the table with the bundled encoder and cache it (slow once; later "
                         "suggestions use the embeddings)")
    sp.add_argument("--encoding", help="file encoding (detected when omitted)")
    sp.add_argument("--json", action="store_true", help='one JSON object per line: {"row", "guess", "confidence"}')
    sp.set_defaults(handler=cmd_suggest)


def cmd_suggest(args: argparse.Namespace) -> int:
    from tuneboard.data import read_table
    from tuneboard.labeling import embed_table, suggest

    if args.n < 1:
        raise DataError(t("active.cli.err.n", n=args.n))
    df, _ = read_table(args.table, encoding=args.encoding)
    for column in (args.text_column, args.label_column):
        if column is not None and column not in df.columns:
            raise DataError(t("active.cli.err.column", column=column,
                              columns=", ".join(map(str, df.columns))))
    texts = [_cell(v) for v in df[args.text_column]]
    labels: dict[int, str] = {}
    if args.label_column:
        labels = {i: _cell(v) for i, v in enumerate(df[args.label_column]) if _cell(v)}
    if len(labels) == len(texts):
        print(t("active.cli.all_labeled", rows=len(texts)))
        return 0
    if args.embed:
        embed_table(texts)
    picked = suggest(texts, labels, n=args.n, strategy=args.strategy, seed=args.seed)
    if args.json:
        for s in picked:
            print(json.dumps(s.to_dict(), ensure_ascii=False))
        return 0
    print("\t".join((t("active.cli.row"), t("active.cli.guess"), t("active.cli.confidence"), t("active.cli.text"))))
    for s in picked:
        confidence = "-" if s.confidence is None else f"{s.confidence:.2f}"
        print(f"{s.row}\t{s.guess if s.guess is not None else '-'}\t{confidence}\t{_preview(texts[s.row])}")
    return 0


def _cell(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _preview(text: str) -> str:
    flat = re.sub(r"\s+", " ", text)
    return flat if len(flat) <= PREVIEW_CHARS else flat[:PREVIEW_CHARS - 1] + "…"
