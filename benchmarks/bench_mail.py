"""Folding provider status events into the notifications log on PostgreSQL: the batched fold of
``ponton.mail.ledger`` against the row-by-row loop it replaces (one transaction per event: insert
it, read the row, update it if the event is newer), on the same shuffled events.

100,000 events over 20,000 notifications (processed, deferred, delivered, open, click each, in
random arrival order). The row-by-row loop is timed on the first 10,000 events and scaled to
100,000, which the figure's name says, to keep ``make bench`` near a minute. Both folds are first
run on that sample from the same state and must end with the same statuses.

Needs the PostgreSQL server of the tests (``PONTON_TEST_PG_URL``); without it, no figure.
"""

from __future__ import annotations

import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from benchmarks import Figure, at_least, at_most
from ponton.mail.ledger import fold_events
from ponton.mail.status import StatusEvent, supersedes
from ponton.platform import PlatformDB
from ponton.platform.db import insert_for
from ponton.platform.schema import (
    notification_events,
    notification_recipients,
    notifications,
    utcnow,
)

PG_ADMIN_URL = os.environ.get(
    "PONTON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOTIFICATIONS = 20_000
EVENTS = 100_000
ROW_BY_ROW_SAMPLE = 10_000
# A message's life as SendGrid reports it: (our kind, SendGrid's event).
LIFE = (
    ("queued", "processed"),
    ("deferred", "deferred"),
    ("delivered", "delivered"),
    ("opened", "open"),
    ("clicked", "click"),
)


def _scratch_database() -> tuple[PlatformDB, callable] | None:
    name = f"ponton_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        reason = f"PostgreSQL at {PG_ADMIN_URL} unreachable ({exc.__class__.__name__})"
        print(f"bench_mail skipped: {reason}", file=sys.stderr)
        return None
    db = PlatformDB(
        sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    )
    db.upgrade()

    def drop() -> None:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return db, drop


def _seed(db: PlatformDB) -> list[int]:
    rows = [
        {
            "to_recipients": [f"person{i}@example.com"],
            "subject": "Planning",
            "status": "queued",
            "provider": "sendgrid",
            "provider_message_id": f"X{i:06d}",
        }
        for i in range(NOTIFICATIONS)
    ]
    with db.begin() as conn:
        conn.execute(notifications.insert(), rows)
        ids = list(
            conn.execute(sa.select(notifications.c.id).order_by(notifications.c.id)).scalars()
        )
        conn.execute(
            notification_recipients.insert(),
            [
                {
                    "notification_id": nid,
                    "role": "to",
                    "address": row["to_recipients"][0],
                    "status": "queued",
                    "provider_message_id": row["provider_message_id"],
                }
                for nid, row in zip(ids, rows, strict=True)
            ],
        )
        return ids


def _events(ids: list[int]) -> list[StatusEvent]:
    t0 = datetime(2026, 3, 16, 9, tzinfo=UTC)
    events = [
        StatusEvent(
            provider="sendgrid",
            provider_event_id=f"{nid}-{step}",
            kind=kind,
            occurred_at=t0 + timedelta(minutes=step),
            notification_id=nid,
            provider_message_id=f"X{nid:06d}.filter0001",
            event=name,
        )
        for nid in ids
        for step, (kind, name) in enumerate(LIFE)
    ]
    random.Random(7).shuffle(events)
    return events[:EVENTS]


def fold_row_by_row(db: PlatformDB, events: list[StatusEvent]) -> None:
    """The straightforward loop: each event in its own transaction, four statements each (the
    event, the recipient row, the notification row)."""
    insert = insert_for(db.dialect, notification_events).on_conflict_do_nothing(
        index_elements=["provider", "provider_event_id"]
    )
    for e in events:
        with db.begin() as conn:
            conn.execute(
                insert,
                {
                    "notification_id": e.notification_id,
                    "provider": e.provider,
                    "provider_event_id": e.provider_event_id,
                    "status": e.kind,
                    "event": e.event,
                    "occurred_at": e.occurred_at,
                    "received_at": utcnow(),
                },
            )
            if not e.changes_status:
                continue
            row = conn.execute(
                sa.select(notifications.c.status, notifications.c.status_at)
                .where(notifications.c.id == e.notification_id)
                .with_for_update()
            ).one()
            if supersedes(e.kind, e.occurred_at, row.status, row.status_at):
                conn.execute(
                    notification_recipients.update()
                    .where(notification_recipients.c.notification_id == e.notification_id)
                    .values(status=e.kind, status_at=e.occurred_at)
                )
                conn.execute(
                    notifications.update()
                    .where(notifications.c.id == e.notification_id)
                    .values(status=e.kind, status_at=e.occurred_at, updated_at=utcnow())
                )


def _reset(db: PlatformDB) -> None:
    with db.begin() as conn:
        conn.execute(sa.text("TRUNCATE notification_events"))
        conn.execute(notifications.update().values(status="queued", status_at=None))
        conn.execute(notification_recipients.update().values(status="queued", status_at=None))


def _statuses(db: PlatformDB) -> dict[int, tuple]:
    with db.engine.connect() as conn:
        query = sa.select(notifications.c.id, notifications.c.status, notifications.c.status_at)
        return {r.id: (r.status, r.status_at) for r in conn.execute(query)}


def _timed(fold, db: PlatformDB, events: list[StatusEvent]) -> float:
    started = time.perf_counter()
    fold(db, events)
    return time.perf_counter() - started


def run() -> list[Figure]:
    scratch = _scratch_database()
    if scratch is None:
        return []
    db, drop = scratch
    try:
        events = _events(_seed(db))
        sample = events[:ROW_BY_ROW_SAMPLE]
        row_by_row = _timed(fold_row_by_row, db, sample)
        expected = _statuses(db)
        _reset(db)
        fold_events(db, sample)
        if _statuses(db) != expected:
            raise AssertionError("batched and row-by-row folds disagree on the same events")
        _reset(db)
        batched = _timed(fold_events, db, events)
    finally:
        drop()
    scaled = row_by_row * len(events) / len(sample)
    return [
        at_least(
            "fold 100k status events, PostgreSQL: batched vs row by row "
            "(row by row timed on 10k, scaled)",
            scaled / batched,
            10,
            "x",
        ),
        at_most("fold 100k status events batched, PostgreSQL (s)", batched, 30, "s"),
    ]
