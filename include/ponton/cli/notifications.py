"""``ponton notifications``: ``dispatch`` and ``reconcile`` (the mail DAGs' steps, same code),
``status [ID]`` (the delivery status of the notifications log), ``resolve ID`` (the way out of
``review``), ``suppressions`` and ``lift ADDRESS`` (the suppression list).

``dispatch`` and ``reconcile`` resolve the ``ponton_mail`` connection through Airflow's secrets
backends, as the DAG tasks do; a connection that cannot be resolved exits 2 naming it."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import sys
from typing import Any

import sqlalchemy as sa

from ponton.cli import print_json
from ponton.cli.args import row_id, row_limit
from ponton.cli.database import open_db
from ponton.errors import ConfigError, InvalidInputError
from ponton.journal import Journal
from ponton.mail import ledger, recipients, suppression
from ponton.mail.message import Address
from ponton.mail.status import ROW_STATUSES, SUPPRESSING
from ponton.platform import PlatformDB
from ponton.platform.schema import (
    notification_events,
    notification_recipients,
    notifications,
    utcnow,
)


def register(groups: argparse._SubParsersAction, *, helps: dict[str, str]) -> None:
    group = groups.add_parser("notifications", help=helps["notifications"])
    sub = group.add_subparsers(dest="command", required=True)
    dispatch = sub.add_parser("dispatch", help="send what is pending through the mail provider")
    dispatch.add_argument("-n", "--limit", type=row_limit, default=100)
    dispatch.add_argument("--json", action="store_true")
    dispatch.set_defaults(func=_dispatch)
    reconcile = sub.add_parser("reconcile", help="pull statuses and fold the webhook inbox")
    reconcile.add_argument("--json", action="store_true")
    reconcile.set_defaults(func=_reconcile)
    status = sub.add_parser("status", help="counts and latest rows, or one notification's story")
    status.add_argument(
        "id", nargs="?", type=row_id, help="one notification: its events, oldest first"
    )
    status.add_argument("--status", choices=ROW_STATUSES, help="only rows in this status")
    status.add_argument("-n", "--limit", type=row_limit, default=20)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    suppressions = sub.add_parser("suppressions", help="addresses ponton no longer sends to")
    suppressions.add_argument("--json", action="store_true")
    suppressions.set_defaults(func=_suppressions)
    suppress = sub.add_parser(
        "suppress", help="put an address on the suppression list (a bounce mail read by hand)"
    )
    suppress.add_argument("address")
    suppress.add_argument("--reason", choices=SUPPRESSING, default="bounced")
    suppress.set_defaults(func=_suppress)
    lift = sub.add_parser("lift", help="take an address off the suppression list")
    lift.add_argument("address")
    lift.set_defaults(func=_lift)
    resolve = sub.add_parser("resolve", help="settle a notification flagged for review")
    resolve.add_argument("id", type=row_id)
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--sent", action="store_true", help="it went out (mailbox or relay log)")
    how.add_argument("--resend", action="store_true", help="it did not go out: send it again")
    resolve.set_defaults(func=_resolve)


def _mail_provider():
    """The provider the DAG tasks use (Airflow resolves the connection, Vault included)."""
    if importlib.util.find_spec("airflow") is None:
        raise ConfigError("dispatch and reconcile resolve the mail connection through Airflow")
    # Airflow's own log lines go to stdout; keep stdout for the report (and the JSON).
    with contextlib.redirect_stdout(sys.stderr):
        return importlib.import_module("ponton.hooks.mail").get_mail_provider()


def _dispatch(args: argparse.Namespace) -> int:
    from ponton.mail.dispatch import dispatch_pending

    provider = _mail_provider()
    db = open_db()
    summary = dispatch_pending(db, provider, Journal(db), limit=args.limit).as_dict()
    if args.json:
        print_json(summary)
    else:
        counts = ", ".join(f"{n} {k}" for k, n in summary.items() if k != "provider" and n)
        print(f"{summary['provider']}: {counts or 'nothing to send'}")
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    from ponton.mail.reconcile import fold_webhook_inbox, pull_provider_events

    provider = _mail_provider()
    db = open_db()
    journal = Journal(db)
    summary = {
        "pull": pull_provider_events(db, provider, journal),
        "webhooks": fold_webhook_inbox(db, journal),
    }
    if args.json:
        print_json(summary)
    else:
        for part, counts in summary.items():
            print(f"{part}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _suppressions(args: argparse.Namespace) -> int:
    rows = suppression.entries(open_db())
    if args.json:
        print_json({"suppressions": rows})
        return 0
    print(f"{len(rows)} suppressed address(es)")
    for r in rows:
        print(
            f"  {r['address']:<40} {r['reason']:<13} {r['provider']:<9} "
            f"{r['occurred_at']:%Y-%m-%d %H:%M}Z notification {r['notification_id'] or '-'}"
        )
    return 0


def _suppress(args: argparse.Namespace) -> int:
    address = Address.parse(args.address, role="suppressed").email.lower()
    db = open_db()
    with db.begin() as conn:
        entry = {
            "address": address,
            "reason": args.reason,
            "provider": "manual",
            "notification_id": None,
            "event": "manual",
            "occurred_at": utcnow(),
        }
        if not suppression.add(conn, [entry]):
            raise InvalidInputError(f"{address} is already on the suppression list")
        Journal(db).record(
            "mail",
            "suppress",
            outcome="changed",
            object_type="address",
            object_id=address,
            details={"reason": args.reason},
            conn=conn,
        )
    print(f"{address}: suppressed ({args.reason}); notifications will skip it")
    return 0


def _lift(args: argparse.Namespace) -> int:
    db = open_db()
    with db.begin() as conn:
        if not suppression.lift(conn, args.address):
            raise InvalidInputError(
                f"{args.address} is not on the suppression list (`ponton notifications "
                "suppressions` lists it)"
            )
        Journal(db).record(
            "mail",
            "unsuppress",
            outcome="changed",
            object_type="address",
            object_id=args.address.lower(),
            conn=conn,
        )
    print(f"{args.address}: lifted; new notifications to it will be sent")
    return 0


def _row(conn: sa.Connection, nid: int) -> dict[str, Any]:
    row = conn.execute(sa.select(notifications).where(notifications.c.id == nid)).mappings().first()
    if row is None:
        raise InvalidInputError(f"no notification {nid}; `ponton notifications status` lists them")
    return dict(row)


def _one(db: PlatformDB, nid: int, as_json: bool) -> int:
    with db.engine.connect() as conn:
        row = _row(conn, nid)
        events = [
            dict(e)
            for e in conn.execute(
                sa.select(notification_events)
                .where(notification_events.c.notification_id == nid)
                .order_by(notification_events.c.occurred_at, notification_events.c.id)
            ).mappings()
        ]
        addressed = [
            dict(r)
            for r in conn.execute(
                sa.select(
                    notification_recipients.c.role,
                    notification_recipients.c.address,
                    notification_recipients.c.status,
                    notification_recipients.c.status_at,
                    notification_recipients.c.last_error,
                )
                .where(notification_recipients.c.notification_id == nid)
                .order_by(notification_recipients.c.id)
            ).mappings()
        ]
    shown = {
        k: row[k]
        for k in (
            "id",
            "to_recipients",
            "subject",
            "status",
            "status_at",
            "provider",
            "provider_message_id",
            "attempts",
            "sent_at",
            "last_error",
        )
    }
    if as_json:
        print_json(shown | {"recipients": addressed, "events": events})
        return 0
    for key, value in shown.items():
        print(f"{key:<20} {value if value is not None else ''}")
    for r in addressed:
        print(f"  {r['role']:<4} {r['address']:<40} {r['status']:<12} {r['last_error'] or ''}")
    print("events:" if events else "events: none yet")
    for e in events:
        print(
            f"  {e['occurred_at']:%Y-%m-%d %H:%M:%S}Z {e['status']:<10} {e['event']:<16} "
            f"{e['details'] or ''}"
        )
    return 0


def _status(args: argparse.Namespace) -> int:
    db = open_db()
    if args.id is not None:
        return _one(db, args.id, args.json)
    query = sa.select(notifications).order_by(notifications.c.id.desc()).limit(args.limit)
    if args.status:
        query = query.where(notifications.c.status == args.status)
    with db.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    counts = ledger.status_counts(db)
    if args.json:
        print_json({"counts": counts, "notifications": rows})
        return 0
    print("  ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "no notifications")
    for r in reversed(rows):
        moment = r["status_at"] or r["sent_at"]
        when = f"{moment:%Y-%m-%d %H:%M}Z" if moment else ""
        print(
            f"{r['id']:>6} {r['status']:<10} {when:<17} {r['provider'] or '':<9} "
            f"{_first_address(r['to_recipients']):<32} {(r['last_error'] or '')[:60]}"
        )
    return 0


def _first_address(items: Any) -> str:
    first = (items or [""])[0]
    return str(first.get("email", "") if isinstance(first, dict) else first)


def _resolve(args: argparse.Namespace) -> int:
    db = open_db()
    with db.begin() as conn:
        row = _row(conn, args.id)
        if row["status"] != "review":
            raise InvalidInputError(
                f"notification {args.id} is {row['status']!r}; only 'review' rows need resolving"
            )
        if args.sent:
            values = {"status": "sent", "status_at": utcnow(), "last_error": None}
        else:
            values = {"status": "pending", "attempt_id": None, "last_error": None}
        conn.execute(notifications.update().where(notifications.c.id == args.id).values(**values))
        if args.sent:
            recipients.settle_sending(conn, args.id, "sent")
        else:
            recipients.forget(conn, args.id)
        Journal(db).record(
            "mail",
            "resolve",
            outcome="changed",
            object_type="notification",
            object_id=args.id,
            details={"as": "sent" if args.sent else "resend"},
            conn=conn,
        )
    print(f"notification {args.id}: {values['status']}")
    return 0
