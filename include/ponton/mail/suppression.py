"""ponton's own suppression list: addresses that hard-bounced, complained or unsubscribed.

Providers keep such lists, but SMTP relays do not, a provider change starts from an empty one,
and a refused send is still counted against the sender's reputation. The ledger adds an address
when it folds a ``bounced``, ``complained`` or ``unsubscribed`` event of any provider; dispatch
checks the list before handing a message over and gives the row the status ``suppressed``
instead; ``ponton notifications suppressions`` lists the entries and ``lift`` removes one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa

from ponton.platform import PlatformDB
from ponton.platform.db import insert_new
from ponton.platform.schema import mail_suppressions, utcnow


def add(conn: sa.Connection, entries: Iterable[dict[str, Any]]) -> int:
    """Suppress each entry's ``address`` (the first reason is kept); returns how many are new."""
    now = utcnow()
    rows = [e | {"address": e["address"].lower(), "created_at": now} for e in entries]
    unique = list({row["address"]: row for row in reversed(rows)}.values())
    inserted = insert_new(
        conn, mail_suppressions, unique, conflict=["address"], returning=mail_suppressions.c.address
    )
    return len(inserted)


_REASONS = sa.select(
    mail_suppressions.c.address, mail_suppressions.c.reason, mail_suppressions.c.provider
).where(mail_suppressions.c.address.in_(sa.bindparam("b_addresses", expanding=True)))


def reasons_for(conn: sa.Connection, addresses: Collection[str]) -> dict[str, str]:
    """Why each suppressed address among ``addresses`` is suppressed (lower-case address ->
    reason); the others are left out. Dispatch asks this for every message: the query is built
    once."""
    rows = conn.execute(_REASONS, {"b_addresses": sorted({a.lower() for a in addresses})})
    return {row.address: f"on the suppression list: {row.reason} ({row.provider})" for row in rows}


def entries(db: PlatformDB) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        query = sa.select(mail_suppressions).order_by(mail_suppressions.c.address)
        return [dict(row) for row in conn.execute(query).mappings()]


def lift(conn: sa.Connection, address: str) -> bool:
    """Remove ``address`` from the list; False when it was not on it."""
    deleted = conn.execute(
        mail_suppressions.delete().where(mail_suppressions.c.address == address.lower())
    )
    return deleted.rowcount == 1
