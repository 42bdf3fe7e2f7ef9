"""``python -m tuneboard label export|import``: a table's labels, with who gave them, when and from where, out of the
label store and into it (CSV or Parquet). The command line is the machine's own user (``LOCAL``)."""
from __future__ import annotations

import argparse
import sys
from typing import Any

from tuneboard.cli.label_suggest import add_suggest
from tuneboard.i18n import t


def add_parser(sub: Any) -> Any:
    """The ``label`` command group; returns its subparsers (more commands join it there: each sets ``handler``)."""
    group = sub.add_parser("label", help="the labels given to a table's rows in Tuneboard: export, import")
    commands = group.add_subparsers(dest="label_command", required=True)
    sp = commands.add_parser("export", help="write TABLE's labels with their provenance to a CSV or Parquet file")
    sp.add_argument("table", help="the data file the labels belong to (found by its content)")
    sp.add_argument("--output", help="the file to write (.csv or .parquet); default: CSV on standard output")
    sp.add_argument("--text-column", help="also write each row's text from this column")
    sp.add_argument("--encoding", help="TABLE's encoding (detected when omitted)")
    sp.set_defaults(handler=cmd_export)
    sp = commands.add_parser("import", help="add labels from FILE (columns row, label) to TABLE, as 'imported'")
    sp.add_argument("table", help="the data file the labels belong to (found by its content)")
    sp.add_argument("file", help="a CSV or Parquet file with columns row (0-based) and label (a class name or code)")
    sp.set_defaults(handler=cmd_import)
    add_suggest(commands)
    return commands


def cmd_label(args: argparse.Namespace) -> int:
    return args.handler(args)


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tuneboard.files import safe_csv, write_bytes_atomic
    from tuneboard.labeling import LabelStore, export_labels

    store = LabelStore.open(_table(args.table))
    frame = None
    if args.text_column:
        from tuneboard.data import read_table

        frame, _ = read_table(args.table, encoding=args.encoding)
    out = export_labels(store, frame, args.text_column)
    if not args.output:
        sys.stdout.write(safe_csv(out).decode("utf-8"))
        return 0
    path = Path(args.output)
    if path.suffix.lower() in (".parquet", ".pq"):
        write_bytes_atomic(path, out.to_parquet(index=False))
    else:
        safe_csv(out, path)
    print(t("labeling.cli.exported", count=len(out), path=str(path)), file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from tuneboard.labeling import LabelStore, import_labels
    from tuneboard.team import LOCAL

    count = import_labels(LabelStore.open(_table(args.table)), args.file, user=LOCAL)
    print(t("labeling.cli.imported", count=count, table=args.table))
    return 0


def _table(path: str) -> str:
    from tuneboard.errors import DataError
    from tuneboard.labeling import table_sha

    try:
        return table_sha(path)
    except OSError as e:
        raise DataError(t("labeling.err.no_table", path=path, reason=e.strerror or type(e).__name__)) from None
