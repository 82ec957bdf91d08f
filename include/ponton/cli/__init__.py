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

#: Command group -> (the ``ponton.cli`` module that registers it, its one-line help). Start-up
#: stays fast: ``ponton --help`` imports none of these modules, a command imports only its own.
COMMANDS = {
    "db": ("db", "migrate or inspect the platform database"),
    "journal": ("journal", "read the integration journal"),
    "demo": ("demo", "demo data"),
    "bindings": ("calendar", "calendars bound to platform resources"),
    "sync": ("calendar", "run calendar syncs outside Airflow"),
    "conflicts": ("calendar", "sync and scheduling conflicts"),
    "ics": ("ics", "inspect ICS calendars"),
    "roadmap": ("roadmap", "mission roadmaps (feuilles de route)"),
    "documents": ("documents", "publish mission documents, check destinations for drift"),
    "notifications": ("notifications", "delivery status of the notifications log"),
    "doctor": ("doctor", "check DB, connections, channels and credentials"),
    "docs": ("docs", "generate documentation from the code"),
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the named group in full, every other group as a name and help."""
    parser = argparse.ArgumentParser(prog="ponton", description=__doc__.splitlines()[0])
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    words = sys.argv[1:] if argv is None else argv
    wanted = next((word for word in words if not word.startswith("-")), None)
    module = COMMANDS[wanted][0] if wanted in COMMANDS else None
    for name, (owner, help_text) in COMMANDS.items():
        if owner != module:
            groups.add_parser(name, help=help_text)
    if module:
        importlib.import_module(f"ponton.cli.{module}").register(groups, helps=_helps(module))
    return parser


def _helps(module: str) -> dict[str, str]:
    return {name: text for name, (owner, text) in COMMANDS.items() if owner == module}


def print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from ponton.cli.failures import run_command

    return run_command(args.func, args)


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
