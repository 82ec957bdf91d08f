"""Per-recipient statuses, and the rule that rolls them up into the notification's status.

Dispatch writes one ``notification_recipients`` row per address when it claims a notification
(``sending``, or ``suppressed`` for an address on the suppression list); the receipt moves the
rows the provider took to its status and those it refused to ``failed``; provider events move
the row of the address they name (or every row, for an event about the whole message).

The notification shows the status of its *least successful* recipient, suppressed recipients
left out (:data:`ROLL_UP_ORDER`): ``delivered`` only once every recipient is delivered; a hard
failure of any recipient (bounced, rejected, failed) shows over everything else; a complaint or
an unsubscribe shows once the others are through. All recipients suppressed: ``suppressed``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ponton.mail.message import OutgoingMail
from ponton.mail.port import Receipt
from ponton.mail.status import StatusEvent, supersedes
from ponton.platform.db import is_one_of
from ponton.platform.schema import notification_recipients as recipients

# Worst first: the notification takes the status of the recipient found earliest in this list.
ROLL_UP_ORDER = (
    "bounced",
    "rejected",
    "failed",
    "pending",
    "sending",
    "review",
    "deferred",
    "unknown",
    "queued",
    "sent",
    "complained",
    "unsubscribed",
    "autoresponded",
    "delivered",
)
_RANK = {status: rank for rank, status in enumerate(ROLL_UP_ORDER)}
# Recipient statuses no message-wide event changes: nothing went to these addresses.
_NOT_SENT = ("suppressed", "failed")
MAX_REASON_CHARS = 2000


def roll_up(statuses: Iterable[tuple[str, datetime | None]]) -> tuple[str, datetime | None] | None:
    """The notification's status and time from its recipients' (None when it has none)."""
    rows = list(statuses)
    if not rows:
        return None
    considered = [(status, at) for status, at in rows if status != "suppressed"]
    if not considered:
        return "suppressed", None
    status = min(considered, key=lambda row: _RANK.get(row[0], 0))[0]
    times = [at for _, at in considered if at is not None]
    return status, max(times) if times else None


_TAKE_RECEIPT = (
    recipients.update()
    .where(recipients.c.notification_id == sa.bindparam("b_nid"), recipients.c.status == "sending")
    .values(status=sa.bindparam("b_status"), provider_message_id=sa.bindparam("b_message"))
)
_INSERT = recipients.insert()


def claim(
    conn: sa.Connection,
    nid: int,
    message: OutgoingMail,
    suppressed: dict[str, str],
    *,
    replace: bool = True,
) -> None:
    """The rows of a claimed notification: ``sending``, or ``suppressed`` with the reason for
    the addresses in ``suppressed`` (lower-case address -> reason). ``replace``: delete earlier
    rows first (a row claimed before; every way back to ``pending`` forgets its rows, so a first
    claim has none)."""
    if replace:
        conn.execute(recipients.delete().where(recipients.c.notification_id == nid))
    roles = (("to", message.to), ("cc", message.cc), ("bcc", message.bcc))
    rows = []
    for role, addresses in roles:
        for address in addresses:
            reason = suppressed.get(address.email.lower())
            rows.append(
                {
                    "notification_id": nid,
                    "role": role,
                    "address": address.email.lower(),
                    "name": address.name or None,
                    "status": "suppressed" if reason else "sending",
                    "last_error": reason,
                }
            )
    conn.execute(_INSERT, rows)


def forget(conn: sa.Connection, nid: int) -> None:
    """A notification back to ``pending``: its next claim writes the rows afresh."""
    conn.execute(recipients.delete().where(recipients.c.notification_id == nid))


def _rows(conn: sa.Connection, nids: Collection[int], lock: bool = False) -> list[sa.Row]:
    query = (
        sa.select(recipients)
        .where(is_one_of(conn, recipients.c.notification_id, nids))
        .order_by(recipients.c.notification_id, recipients.c.id)
    )
    return list(conn.execute(query.with_for_update() if lock else query))


def rolled_up(conn: sa.Connection, nid: int) -> tuple[str, datetime | None] | None:
    return roll_up((r.status, r.status_at) for r in _rows(conn, [nid]))


def record_receipt(conn: sa.Connection, nid: int, receipt: Receipt) -> int:
    """The recipients still ``sending`` take the receipt's status (the provider took the message
    for them) or ``failed`` (it refused them: ``receipt.refused``). Returns how many took the
    receipt's status."""
    refused = {address.lower(): reason for address, reason in receipt.refused.items()}
    if refused:
        sending = (recipients.c.notification_id == nid) & (recipients.c.status == "sending")
        conn.execute(
            recipients.update()
            .where(sending & (recipients.c.address == sa.bindparam("b_address")))
            .values(status="failed", last_error=sa.bindparam("b_reason")),
            [
                {"b_address": a, "b_reason": f"refused: {r}"[:MAX_REASON_CHARS]}
                for a, r in refused.items()
            ],
        )
    taken = conn.execute(
        _TAKE_RECEIPT,
        {"b_nid": nid, "b_status": receipt.status, "b_message": receipt.provider_message_id},
    )
    return taken.rowcount


def settle_sending(conn: sa.Connection, nid: int, status: str, reason: str | None = None) -> None:
    """The recipients still ``sending`` take ``status``: ``failed`` when the provider refused the
    whole message, ``sent`` when a person confirmed that it went out."""
    conn.execute(
        recipients.update()
        .where(recipients.c.notification_id == nid, recipients.c.status == "sending")
        .values(status=status, last_error=reason[:MAX_REASON_CHARS] if reason else None)
    )


def fold(
    conn: sa.Connection, matched: Sequence[tuple[StatusEvent, int]]
) -> tuple[dict[int, tuple[str, datetime | None]], list[tuple[StatusEvent, int, str]]]:
    """Apply events to the recipient rows they concern, latest event by event time per row.

    Returns the rolled-up status of each notification whose rows moved, and each event with the
    address it concerns (for the suppression list: the event's recipient, unless the event is
    not vouched for and the message did not go to it; the notification's only recipient when the
    event names none)."""
    rows = _rows(conn, {nid for _, nid in matched}, lock=True)
    by_notification: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_notification.setdefault(row.notification_id, []).append(dict(row._mapping))
    winners: dict[int, StatusEvent] = {}
    addressed: list[tuple[StatusEvent, int, str]] = []
    for event, nid in matched:
        own = by_notification.get(nid, [])
        if event.recipient:
            targets = [r for r in own if r["address"] == event.recipient.lower()]
            if targets or event.vouched:
                addressed.append((event, nid, event.recipient.lower()))
        else:
            targets = [r for r in own if r["status"] not in _NOT_SENT]
            if len(own) == 1:
                addressed.append((event, nid, own[0]["address"]))
        if not event.changes_status:
            continue
        for target in targets:
            best = winners.get(target["id"])
            if best is None or supersedes(
                event.kind, event.occurred_at, best.kind, best.occurred_at
            ):
                winners[target["id"]] = event
    changed: set[int] = set()
    updates = []
    for nid, own in by_notification.items():
        for row in own:
            event = winners.get(row["id"])
            if event and supersedes(event.kind, event.occurred_at, row["status"], row["status_at"]):
                row["status"], row["status_at"] = event.kind, event.occurred_at
                updates.append(
                    {
                        "b_id": row["id"],
                        "b_status": event.kind,
                        "b_at": event.occurred_at,
                        "b_message": event.provider_message_id,
                    }
                )
                changed.add(nid)
    if updates:
        conn.execute(
            recipients.update()
            .where(recipients.c.id == sa.bindparam("b_id"))
            .values(
                status=sa.bindparam("b_status"),
                status_at=sa.bindparam("b_at", type_=recipients.c.status_at.type),
                provider_message_id=sa.func.coalesce(
                    sa.bindparam("b_message", type_=sa.String), recipients.c.provider_message_id
                ),
            ),
            updates,
        )
    rolled = {
        nid: roll_up((r["status"], r["status_at"]) for r in by_notification[nid]) for nid in changed
    }
    return {nid: status for nid, status in rolled.items() if status is not None}, addressed
