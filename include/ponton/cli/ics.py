"""``ponton ics inspect FILE_OR_URL``: what ponton reads in a calendar, without importing it.

Prints the accepted VEVENT count, the occurrences in a window (counted exactly as
``recurring_ical_events.of(calendar).between(start, end)``) and every isolated error. The default
window runs from 31 days before today to 366 days after (UTC). Input that is not a usable
calendar exits with code 2 and one line on stderr. Every step is bounded (download timeout and
size, parse limits, recurrence guard), so hostile input finishes in seconds.
"""

from __future__ import annotations

import argparse
from datetime import date

from ponton.calendars.backends.connect import ALLOW_HOSTS_ENV, allow_list
from ponton.cli import print_json
from ponton.errors import InvalidInputError, PontonError
from ponton.ics import Limits, default_window, expand, feed_hash, parse_calendar
from ponton.ics.feeds import FeedOptions, fetch_feed, redact

TIMEOUT_SECONDS = 10.0


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    ics = groups.add_parser("ics", help=helps["ics"])
    sub = ics.add_subparsers(dest="command", required=True)
    inspect = sub.add_parser("inspect", help="count events, occurrences and errors of a calendar")
    inspect.add_argument("source", metavar="FILE_OR_URL", help="a .ics path, https:// or webcal://")
    inspect.add_argument("--start", type=_day, help="window start, YYYY-MM-DD (inclusive)")
    inspect.add_argument("--end", type=_day, help="window end, YYYY-MM-DD (exclusive)")
    inspect.add_argument("--json", action="store_true", help="one JSON object on stdout")
    inspect.add_argument(
        "--timezone", default="UTC", help="zone for floating times when the calendar names none"
    )
    inspect.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST_OR_CIDR",
        help=f"allow a loopback/private feed host (also ${ALLOW_HOSTS_ENV}, comma-separated)",
    )
    inspect.set_defaults(func=_inspect)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def inspect_calendar(
    source: str,
    start: date | None = None,
    end: date | None = None,
    *,
    allow_hosts: tuple[str, ...] = (),
    default_timezone: str = "UTC",
) -> dict:
    """The summary ``ponton ics inspect`` prints (also usable from Python)."""
    limits = Limits()
    default_start, default_end = default_window(limits=limits)
    start, end = start or default_start, end or default_end
    options = FeedOptions(allow_hosts=allow_hosts, timeout=TIMEOUT_SECONDS)
    body = fetch_feed(source, options=options).body or b""
    try:
        parsed = parse_calendar(body, limits, default_timezone=default_timezone)
        occurrences = expand(parsed, start, end, limits)
    except PontonError:
        raise
    except Exception as exc:  # noqa: BLE001 - a library bug on odd input must not print a traceback
        raise InvalidInputError(
            f"{redact(source)} could not be read as a calendar ({exc.__class__.__name__})"
        ) from None
    return {
        "source": redact(source),
        "name": parsed.name,
        "method": parsed.method,
        "timezone": parsed.timezone,
        "events": len(parsed.events),
        "occurrences": len(occurrences),
        "window": {"start": start.isoformat(), "end": end.isoformat()},
        "errors": parsed.errors + occurrences.errors,
        "replies": len(parsed.replies),
        "feed_hash": feed_hash(body),
    }


def _inspect(args: argparse.Namespace) -> int:
    summary = inspect_calendar(
        args.source,
        args.start,
        args.end,
        allow_hosts=allow_list({"allow_hosts": args.allow_host}),
        default_timezone=args.timezone,
    )
    if args.json:
        print_json(summary)
        return 0
    print(
        f"{summary['source']}: {summary['events']} events, {summary['occurrences']} occurrences "
        f"between {summary['window']['start']} and {summary['window']['end']}, "
        f"{len(summary['errors'])} errors"
    )
    for error in summary["errors"]:
        print(f"  - {error}")
    return 0
