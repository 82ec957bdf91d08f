"""``ponton docs config``: write (or ``--check``) the generated configuration catalogue."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    docs = groups.add_parser("docs", help=helps["docs"])
    sub = docs.add_subparsers(dest="command", required=True)
    config = sub.add_parser("config", help="docs/configuration.md: connection types, variables")
    config.add_argument("--output", type=Path, default=Path("docs/configuration.md"))
    config.add_argument(
        "--check", action="store_true", help="exit 1 when the file differs from the code"
    )
    config.set_defaults(func=_config)


def _config(args: argparse.Namespace) -> int:
    from ponton.ops.catalogue import render_configuration

    text = render_configuration()
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run `ponton docs config`", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0
