"""``ponton db upgrade|status``: migrate the platform DB and show its revision."""

from __future__ import annotations

import argparse

from ponton.platform import PlatformDB


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    db = groups.add_parser("db", help=helps["db"])
    sub = db.add_subparsers(dest="command", required=True)
    upgrade = sub.add_parser("upgrade", help="apply migrations up to the latest revision")
    upgrade.set_defaults(func=_upgrade)
    status = sub.add_parser("status", help="print current and latest revision")
    status.set_defaults(func=_status)


def _upgrade(_args: argparse.Namespace) -> int:
    db = PlatformDB()
    db.upgrade()
    print(f"platform DB at revision {db.current_revision()} ({db.engine.url.render_as_string()})")
    return 0


def _status(_args: argparse.Namespace) -> int:
    from ponton.cli.database import missing_sqlite_file

    db = PlatformDB()
    # A missing SQLite file is reported, not created (a mistyped path stays visible).
    current = None if missing_sqlite_file(db) else db.current_revision()
    head = db.head_revision()
    state = "up to date" if current == head else "needs `ponton db upgrade`"
    print(f"current {current or '(none)'}, latest {head}: {state}")
    return 0 if current == head else 1
