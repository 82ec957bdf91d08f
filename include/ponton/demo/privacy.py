"""What became of Ana's private appointment and of the invitation she declined, for the summary
``make demo`` prints: the busy time each left, and whether the private text reached any published
file, mail or journal row (it must not)."""

from __future__ import annotations

import email
import json
from collections.abc import Iterable
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.demo.feeds import DECLINED_UID, PRIVATE_UID
from ponton.platform import PlatformDB
from ponton.platform.schema import availability, conflicts, integration_journal

PARIS = ZoneInfo("Europe/Paris")
#: Words of the private event that must appear nowhere ponton writes.
PRIVATE_WORDS = ("Dr Lambert", "Bilan annuel", "Paris 15e")


def privacy_report(db: PlatformDB, *, published: Path, mails: Path) -> list[str]:
    """Two lines: the private event's fate and the declined invitation's."""
    with db.engine.connect() as conn:
        blocks = conn.execute(
            sa.select(availability.c.start_at, availability.c.end_at, availability.c.note).where(
                availability.c.source_uid == PRIVATE_UID
            )
        ).all()
        declined_blocks = conn.execute(
            sa.select(sa.func.count())
            .select_from(availability)
            .where(availability.c.source_uid == DECLINED_UID)
        ).scalar_one()
        declined_bookings = conn.execute(
            sa.select(sa.func.count())
            .select_from(conflicts)
            .where(conflicts.c.kind == "double_booking", conflicts.c.remote_id == DECLINED_UID)
        ).scalar_one()
        journal = json.dumps(
            conn.execute(sa.select(integration_journal.c.details)).scalars().all(),
            ensure_ascii=False,
            default=str,
        )
    files = [p for p in published.rglob("*") if p.is_file() and p.suffix in (".ics", ".ifb")]
    messages = sorted(mails.glob("*.eml"))
    leaks = [p.name for p in files if _mentions(p.read_text(errors="replace"))]
    leaks += [p.name for p in messages if _mentions(_mail_text(p))]
    leaks += ["journal"] if _mentions(journal) else []
    times = ", ".join(
        f"{s.astimezone(PARIS):%a %H:%M}-{e.astimezone(PARIS):%H:%M}"
        + ("" if note is None else f" titled {note!r}")
        for s, e, note in blocks
    )
    private = (
        f"private event {PRIVATE_UID} (ana.martin): {len(blocks)} anonymous busy block(s) "
        f"{times or 'none'}; its text found in "
        + (", ".join(leaks) if leaks else f"none of {len(files)} feeds, {len(messages)} mails")
        + (" or the journal" if not leaks else "")
    )
    declined = (
        f"declined invitation {DECLINED_UID} (ana.martin, overlapping a workshop): "
        f"{declined_blocks} busy "
        f"block(s), {declined_bookings} double booking(s)"
    )
    return [private, declined]


def _mentions(text: str) -> bool:
    return any(word in text for word in PRIVATE_WORDS)


def _mail_text(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    parts: Iterable = message.walk()
    return "\n".join(part.get_content() for part in parts if part.get_content_maintype() == "text")
