"""The ``ponton`` command. Each sub-module registers one command group.

Exit codes: 0 success, 1 a check failed (``doctor``), 2 bad input or configuration, with one line
on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from ponton.errors import PontonError

COMMAND_MODULES = (
    "db",
    "journal",
    "demo",
    "calendar",
    "ics",
    "roadmap",
    "documents",
    "notifications",
    "doctor",
    "docs",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ponton", description=__doc__.splitlines()[0])
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"ponton.cli.{name}").register(groups)
    return parser


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PontonError as exc:
        print(f"ponton: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
