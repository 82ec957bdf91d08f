"""The notifications ledger: the row transitions of a message's life and the batched fold of
provider status events into ``notifications`` and ``notification_events``.

Row life::

    pending ──claim──▶ sending ──receipt──▶ queued / sent / delivered ──events──▶ ...
       ▲                  │ └──refused──▶ failed
       └──not accepted────┤
                          └──outcome unknown, provider cannot tell──▶ review

``sending`` is committed *before* the provider is called, so a crash at any point leaves a row
that says a send may have happened; nothing in this module ever turns ``sending`` back into
``pending`` without the provider's word (or a person's, for ``review``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import islice
from typing import Any

import sqlalchemy as sa

from ponton.mail import recipients, suppression
from ponton.mail.port import Receipt
from ponton.mail.status import LEDGER_STATUSES, SUPPRESSING, StatusEvent
from ponton.platform import PlatformDB
from ponton.platform.db import insert_for, insert_new, is_one_of
from ponton.platform.schema import (
    UTCDateTime,
    kv_cursors,
    notification_events,
    notifications,
    utcnow,
)

FOLD_CHUNK = 5000
MAX_REASON_CHARS = 2000


# -- dispatch transitions ------------------------------------------------------------------------


# Built once: dispatch runs them for every message, and building a statement costs more than
# SQLite takes to run it.
_pending = notifications.alias("pending")
_CLAIM_NEXT = (
    notifications.update()
    .where(
        notifications.c.id
        == sa.select(_pending.c.id)
        .where(
            _pending.c.status == "pending",
            sa.or_(
                _pending.c.next_attempt_at.is_(None),
                _pending.c.next_attempt_at <= sa.bindparam("b_now", type_=UTCDateTime),
            ),
        )
        .order_by(_pending.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    .values(
        status="sending",
        status_at=None,
        attempt_id=sa.bindparam("b_attempt"),
        attempts=notifications.c.attempts + 1,
        provider=sa.bindparam("b_provider"),
        last_error=None,
        next_attempt_at=None,
    )
    .returning(*notifications.c)
)
_RECEIPT = (
    notifications.update()
    .where(notifications.c.id == sa.bindparam("b_id"))
    .values(
        provider=sa.bindparam("b_provider"),
        provider_message_id=sa.bindparam("b_message"),
        sent_at=sa.bindparam("b_sent_at", type_=notifications.c.sent_at.type),
        last_error=sa.bindparam("b_error"),
        status=sa.bindparam("b_status"),
    )
)


def claim_next_pending(
    conn: sa.Connection, attempt_id: str, provider: str
) -> dict[str, Any] | None:
    """pending → sending for the oldest pending row that is not waiting for a later attempt,
    returned as it now is: one statement, the row locked for this transaction (``SKIP LOCKED``
    on PostgreSQL, so concurrent dispatchers take different rows; SQLite serialises writers)."""
    values = {"b_attempt": attempt_id, "b_provider": provider, "b_now": utcnow()}
    row = conn.execute(_CLAIM_NEXT, values)
    claimed = row.mappings().first()
    return dict(claimed) if claimed else None


def _set(conn: sa.Connection, nid: int, expected: str | None, **values: Any) -> bool:
    query = notifications.update().where(notifications.c.id == nid)
    if expected:
        query = query.where(notifications.c.status == expected)
    return conn.execute(query.values(**values)).rowcount == 1


def mark_failed(conn: sa.Connection, nid: int, reason: str) -> None:
    _set(conn, nid, None, status="failed", status_at=utcnow(), last_error=reason[:MAX_REASON_CHARS])
    recipients.settle_sending(conn, nid, "failed", reason)


def mark_unsendable(conn: sa.Connection, nid: int, status: str, reason: str) -> None:
    """A claimed row that never reaches the provider: ``failed`` (the row cannot make a valid
    message) or ``suppressed`` (every To recipient is on the suppression list)."""
    _set(
        conn,
        nid,
        "sending",
        status=status,
        status_at=utcnow(),
        provider=None,
        attempt_id=None,
        last_error=reason[:MAX_REASON_CHARS],
    )


def mark_review(conn: sa.Connection, nid: int, reason: str) -> None:
    """sending → review: it may have gone out and nobody can tell; a person decides."""
    _set(conn, nid, "sending", status="review", last_error=reason[:MAX_REASON_CHARS])


def release(
    conn: sa.Connection, nid: int, reason: str | None = None, *, until: datetime | None = None
) -> None:
    """sending → pending, only on the provider's word that it did not take the message;
    ``until``: not offered again before then (the provider deferred it)."""
    if _set(
        conn,
        nid,
        "sending",
        status="pending",
        attempt_id=None,
        last_error=reason[:MAX_REASON_CHARS] if reason else reason,
        next_attempt_at=until,
    ):
        recipients.forget(conn, nid)


def record_receipt(
    conn: sa.Connection, nid: int, provider: str, receipt: Receipt, *, sent_to: int | None = None
) -> None:
    """Store what the provider returned. Recipients still ``sending`` take the receipt's status
    (or ``failed``, those it refused); a webhook folded in the meantime (``delivered``) is newer
    and stays. The notification takes the roll-up of its recipients (a notification without
    recipient rows, the receipt's status if it is still ``sending``). ``sent_to``: how many
    recipients the message went to; when the receipt moved exactly those, the roll-up is the
    receipt's status and the rows are not read back.

    ``status_at`` stays empty: the acceptance time is ours (``sent_at``), not the provider's, and
    any event the provider reports later must win over it, even one stamped a little earlier by
    a provider clock that keeps whole seconds or runs behind ours."""
    moved = recipients.record_receipt(conn, nid, receipt)
    if moved == sent_to and not receipt.refused:
        status: Any = receipt.status
    else:
        rolled = recipients.rolled_up(conn, nid)
        still_sending = notifications.c.status == "sending"
        status = (
            rolled[0]
            if rolled
            else sa.case((still_sending, receipt.status), else_=notifications.c.status)
        )
    refused = "; ".join(f"{a}: {r}" for a, r in receipt.refused.items())
    values = {
        "b_id": nid,
        "b_provider": provider,
        "b_message": receipt.provider_message_id,
        "b_sent_at": receipt.accepted_at,
        "b_error": f"refused recipients: {refused}"[:MAX_REASON_CHARS] if refused else None,
    }
    if isinstance(status, str):
        conn.execute(_RECEIPT, values | {"b_status": status})
    else:
        conn.execute(_RECEIPT.values(status=status), values)
    conn.execute(
        _accepted_event(conn.dialect.name),
        {
            "notification_id": nid,
            "provider": provider,
            "provider_event_id": f"accepted:{receipt.provider_message_id}",
            "status": receipt.status,
            "event": "accepted",
            "occurred_at": receipt.accepted_at,
            "received_at": utcnow(),
        },
    )


@cache
def _accepted_event(dialect: str) -> sa.Insert:
    return insert_for(dialect, notification_events).on_conflict_do_nothing(
        index_elements=["provider", "provider_event_id"]
    )


def in_flight(conn: sa.Connection) -> list[dict[str, Any]]:
    """Rows left ``sending`` by an attempt that ended before storing its receipt."""
    query = (
        sa.select(notifications)
        .where(notifications.c.status == "sending")
        .order_by(notifications.c.id)
        .with_for_update(skip_locked=True)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


# -- status folding --------------------------------------------------------------------------------


@dataclass
class FoldResult:
    """Counts for the journal: events stored (replays excluded), rows whose status moved, events
    that named no known notification."""

    received: int = 0
    recorded: int = 0
    updated: int = 0
    unmatched: int = 0

    def add(self, other: FoldResult) -> None:
        self.received += other.received
        self.recorded += other.recorded
        self.updated += other.updated
        self.unmatched += other.unmatched

    def as_dict(self) -> dict[str, int]:
        return {
            "events": self.received,
            "recorded": self.recorded,
            "updated": self.updated,
            "unmatched": self.unmatched,
        }


def _chunks(items: Iterable[StatusEvent], size: int) -> Iterator[list[StatusEvent]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def id_prefixes(message_id: str) -> list[str]:
    """The id and its prefixes up to each dot: SendGrid events carry ``<X-Message-Id>.filter...``
    where the send returned only ``<X-Message-Id>``; other providers' ids have no dots."""
    parts = message_id.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def _current_rows(conn: sa.Connection, condition) -> list[sa.Row]:
    query = (
        sa.select(
            notifications.c.id,
            notifications.c.provider,
            notifications.c.provider_message_id,
            notifications.c.status,
            notifications.c.status_at,
        )
        .where(condition)
        .order_by(notifications.c.id)
        .with_for_update()
    )
    return conn.execute(query).all()


def _resolve(conn: sa.Connection, events: Sequence[StatusEvent]) -> tuple[list, dict[int, sa.Row]]:
    """Pair each event with a notification row: by our id first, by provider message id else."""
    ids = {e.notification_id for e in events if e.notification_id is not None}
    rows = {}
    if ids:
        rows = {r.id: r for r in _current_rows(conn, is_one_of(conn, notifications.c.id, ids))}
    orphans = [e for e in events if e.notification_id not in rows and e.provider_message_id]
    by_message: dict[tuple[str, str], sa.Row] = {}
    if orphans:
        candidates = {p for e in orphans for p in id_prefixes(e.provider_message_id)}
        by_id = is_one_of(conn, notifications.c.provider_message_id, candidates)
        for row in _current_rows(conn, by_id):
            rows.setdefault(row.id, row)
            by_message[(row.provider, row.provider_message_id)] = row
    paired = []
    for event in events:
        row = rows.get(event.notification_id) if event.notification_id is not None else None
        if row is None and event.provider_message_id:
            row = next(
                (
                    by_message[(event.provider, prefix)]
                    for prefix in id_prefixes(event.provider_message_id)
                    if (event.provider, prefix) in by_message
                ),
                None,
            )
        paired.append((event, row.id if row is not None else None))
    return paired, rows


def _fold_chunk(conn: sa.Connection, events: Sequence[StatusEvent]) -> FoldResult:
    result = FoldResult(received=len(events))
    paired, rows = _resolve(conn, events)
    now = utcnow()
    matched = [(e, nid) for e, nid in paired if nid is not None]
    result.unmatched = len(paired) - len(matched)
    # A hard bounce, complaint or unsubscribe the provider vouches for holds for the address
    # whatever message revealed it (another system's mail, or mail from before this database).
    unmatched = [e for e, nid in paired if nid is None and e.recipient and e.vouched]
    _suppress(conn, [(e, None, e.recipient.lower()) for e in unmatched])
    if not matched:
        return result
    inserted = insert_new(
        conn,
        notification_events,
        [
            {
                "notification_id": nid,
                "provider": e.provider,
                "provider_event_id": e.provider_event_id[:300],
                "status": e.kind,
                "event": (e.event or e.kind)[:40],
                "occurred_at": e.occurred_at,
                "received_at": now,
                "details": e.details or None,
                "recipient": e.recipient,
            }
            for e, nid in matched
        ],
        conflict=["provider", "provider_event_id"],
        returning=notification_events.c.id,
    )
    result.recorded = len(inserted)
    rolled, addressed = recipients.fold(conn, matched)
    message_ids = {nid: e.provider_message_id for e, nid in matched if e.provider_message_id}
    # A roll-up still in ponton's hands (a recipient ``sending``) leaves the row to dispatch.
    updates = [
        {"b_id": nid, "b_status": status, "b_at": at, "b_message": message_ids.get(nid)}
        for nid, (status, at) in rolled.items()
        if status not in LEDGER_STATUSES or status == "suppressed"
        if (status, at) != (rows[nid].status, rows[nid].status_at)
    ]
    if updates:
        conn.execute(
            notifications.update()
            .where(notifications.c.id == sa.bindparam("b_id"))
            .values(
                status=sa.bindparam("b_status"),
                status_at=sa.bindparam("b_at", type_=notifications.c.status_at.type),
                provider_message_id=sa.func.coalesce(
                    notifications.c.provider_message_id,
                    sa.bindparam("b_message", type_=notifications.c.provider_message_id.type),
                ),
                updated_at=now,
            ),
            updates,
        )
    result.updated = len(updates)
    _suppress(conn, addressed)
    return result


def _suppress(
    conn: sa.Connection, addressed: Iterable[tuple[StatusEvent, int | None, str]]
) -> None:
    """Put the address of each bounce, complaint or unsubscribe on the suppression list."""
    suppression.add(
        conn,
        (
            {
                "address": address,
                "reason": e.kind,
                "provider": e.provider,
                "notification_id": nid,
                "event": (e.event or e.kind)[:40],
                "occurred_at": e.occurred_at,
            }
            for e, nid, address in addressed
            if e.kind in SUPPRESSING
        ),
    )


def fold_events(
    db: PlatformDB, events: Iterable[StatusEvent], chunk: int = FOLD_CHUNK
) -> FoldResult:
    """Fold events into the log with a handful of statements per chunk: one SELECT of the rows
    concerned (locked, in id order), one multi-row INSERT of the events, one executemany UPDATE
    of the rows whose status moves. Idempotent: replayed events change nothing."""
    total = FoldResult()
    for part in _chunks(events, chunk):
        with db.begin() as conn:
            total.add(_fold_chunk(conn, part))
    return total


# -- cursors -------------------------------------------------------------------------------------


def read_cursor(db: PlatformDB, name: str) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(kv_cursors.c.value).where(kv_cursors.c.name == name)).scalar()


def write_cursor(conn: sa.Connection, name: str, value: str | None) -> None:
    statement = insert_for(conn.dialect.name, kv_cursors).values(
        name=name, value=value, updated_at=utcnow()
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
    )


def status_counts(db: PlatformDB) -> dict[str, int]:
    query = sa.select(notifications.c.status, sa.func.count()).group_by(notifications.c.status)
    with db.engine.connect() as conn:
        return dict(conn.execute(query).all())
