"""``python -m tuneboard model promote|list|rollback``: named models from the shell.

Whoever runs the CLI can read and write the database file itself, so the shell is an admin; the history still
records their login name (``$USER``), not an anonymous "local".
"""
from __future__ import annotations

import argparse
import datetime
import getpass
import json
from typing import Any

from tuneboard.i18n import t


def add_parser(sub: Any) -> None:
    from tuneboard.registry import ALIASES

    sp = sub.add_parser("model", help="named models: promote a finished run to a name, list them, roll back")
    sp.set_defaults(handler=cmd_model)
    verbs = sp.add_subparsers(dest="model_command", required=True)
    p = verbs.add_parser("promote", help="make a finished RUN the next version of --name")
    p.add_argument("run", help="the run folder or run id")
    p.add_argument("--name", required=True, help="the model's name, e.g. ticket-router (made when new)")
    p.add_argument("--alias", choices=ALIASES, help="also point this alias at the new version")
    p.add_argument("--note", default="", help="a note kept with the version (why it was promoted)")
    p = verbs.add_parser("list", help="every name with its versions and aliases")
    p.add_argument("--json", action="store_true", help="print the names as JSON")
    p = verbs.add_parser("rollback", help="production goes back to the previous version (or --to VERSION)")
    p.add_argument("name")
    p.add_argument("--to", type=int, metavar="VERSION", help="the version to make production")


def operator() -> Any:
    from tuneboard.team import User

    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # a container user with no passwd entry and no $USER
        name = "local"
    return User(name, is_admin=True)


def cmd_model(args: argparse.Namespace) -> int:
    from tuneboard import registry

    if args.model_command == "promote":
        v = registry.promote(args.run, args.name, operator(), alias=args.alias, note=args.note)
        print(t("registry.cli.promoted", run=v.run_id, label=v.label,
                alias=t("registry.cli.as_alias", alias=args.alias) if args.alias else ""))
    elif args.model_command == "rollback":
        v = registry.rollback(args.name, operator(), to=args.to)
        print(t("registry.cli.rolled_back", name=v.name, version=v.version, run=v.run_id))
    else:
        models = registry.list_models()
        print(json.dumps([as_dict(m) for m in models], ensure_ascii=False, indent=2) if args.json
              else "\n".join(lines(models)) or t("registry.cli.none"))
    return 0


def as_dict(model: Any) -> dict[str, Any]:
    return {"name": model.name, "owner": model.owner, "aliases": model.aliases, "traffic": model.traffic,
            "canary_percent": model.canary_percent,
            "versions": [{"version": v.version, "run_id": v.run_id, "promoted_by": v.created_by,
                          "promoted_at": v.created_at, "note": v.note, "aliases": list(v.aliases)}
                         for v in model.versions]}


def lines(models: list[Any]) -> list[str]:
    out = []
    for m in models:
        out.append(f"{m.name}  ({t('registry.cli.owner', owner=m.owner)})")
        for v in reversed(m.versions):
            when = datetime.datetime.fromtimestamp(v.created_at).strftime("%Y-%m-%d %H:%M")
            tags = f"  [{', '.join(v.aliases)}]" if v.aliases else ""
            out.append(f"  {v.version:>3}  {v.run_id}  {v.created_by}  {when}{tags}")
    return out
