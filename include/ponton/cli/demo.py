"""``ponton demo seed``: fill the platform DB with the demo world used by ``make demo``."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import date

from ponton.demo.seed import seed
from ponton.platform import PlatformDB


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    demo = groups.add_parser("demo", help=helps["demo"])
    sub = demo.add_subparsers(dest="command", required=True)
    seed_cmd = sub.add_parser("seed", help="migrate and seed the platform DB (safe to rerun)")
    seed_cmd.add_argument("--anchor", type=date.fromisoformat, help="week to start (YYYY-MM-DD)")
    seed_cmd.set_defaults(func=_seed)


def _seed(args: argparse.Namespace) -> int:
    db = PlatformDB()
    db.upgrade()
    summary = seed(db, args.anchor)
    print(", ".join(f"{n} {k}" for k, n in asdict(summary).items()))
    return 0
