"""``ponton journal tail``: read the integration journal."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

from ponton.cli import print_json
from ponton.cli.args import row_limit
from ponton.cli.database import open_db
from ponton.errors import InvalidInputError
from ponton.journal import OUTCOMES, Journal
from ponton.platform.schema import utcnow


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    journal = groups.add_parser("journal", help=helps["journal"])
    sub = journal.add_subparsers(dest="command", required=True)
    tail = sub.add_parser("tail", help="newest journal rows, oldest first")
    tail.add_argument("--integration", help="only this integration (ics, google, s3, mail, ...)")
    tail.add_argument("--outcome", choices=OUTCOMES)
    tail.add_argument("--since", help="ISO date/time, or a duration such as 2h or 3d")
    tail.add_argument("-n", "--limit", type=row_limit, default=20)
    tail.add_argument("--json", action="store_true", help="one JSON list instead of a table")
    tail.set_defaults(func=_tail)


def parse_since(text: str) -> datetime:
    """``2h``/``30m``/``3d`` back from now, or an ISO timestamp (UTC when no offset is given)."""
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if text[-1:] in units and text[:-1].isdigit():
        try:
            return utcnow() - timedelta(**{units[text[-1]]: int(text[:-1])})
        except (OverflowError, ValueError):
            raise InvalidInputError(
                f"--since {text!r} reaches before year 1; give a shorter duration"
            ) from None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(
            f"--since {text!r} is neither a duration (30m, 2h, 3d) nor an ISO date/time"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def _tail(args: argparse.Namespace) -> int:
    since = parse_since(args.since) if args.since else None
    entries = Journal(open_db()).tail(
        args.limit, integration=args.integration, outcome=args.outcome, since=since
    )
    if args.json:
        print_json([entry.as_dict() for entry in entries])
        return 0
    for e in entries:
        where = f"{e.object_type or ''}:{e.object_id}" if e.object_id else ""
        run = f" [{e.dag_id}.{e.task_id}]" if e.dag_id else ""
        details = f" {e.details}" if e.details else ""
        print(
            f"{e.at:%Y-%m-%d %H:%M:%S}Z {e.integration:<10} {e.action:<18} "
            f"{e.outcome:<8} {where}{run}{details}"
        )
    return 0
