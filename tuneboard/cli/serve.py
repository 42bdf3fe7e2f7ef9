"""``serve`` and ``api-key``: a run as a prediction API, and the keys its clients send."""
from __future__ import annotations

import argparse
from typing import Any

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


def add_parser(sub: Any) -> None:
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
    sp.set_defaults(handler=cmd_serve)
    sp = sub.add_parser("api-key", help="make an API key, append its hash to FILE and print the key once")
    sp.add_argument("file")
    sp.add_argument("--name", default="", help="a note stored beside the hash (who the key is for)")
    sp.set_defaults(handler=cmd_api_key)


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
        from tuneboard.i18n import t

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
