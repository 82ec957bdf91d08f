"""Status reconciliation: provider status pulls and stored webhook posts, folded into the log.

Both sources end in :func:`ponton.mail.ledger.fold_events`, so it does not matter which one
reports an event first, or twice: the row shows the latest event by event time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ponton.errors import InvalidInputError
from ponton.journal import Journal
from ponton.mail import ledger
from ponton.mail.backends import postmark_events, sendgrid_events
from ponton.mail.dispatch import INTEGRATION
from ponton.mail.port import MailProvider, StatusPull
from ponton.mail.status import StatusEvent
from ponton.platform import PlatformDB
from ponton.webhooks import inbox

# Webhook inbox source → reader of one stored (already verified) raw event.
INBOX_READERS: dict[str, Callable[[Mapping[str, Any], datetime], StatusEvent]] = {
    "sendgrid": lambda raw, _received: sendgrid_events.status_event(raw),
    "postmark": postmark_events.status_event,
}


# Pages one pull reads at most; the next run continues from the stored cursor.
MAX_PAGES = 50


def cursor_name(provider: MailProvider) -> str:
    return f"mail:{provider.name}:events"


def pull_provider_events(
    db: PlatformDB, provider: MailProvider, journal: Journal, *, max_pages: int = MAX_PAGES
) -> dict:
    """Page through the provider's events since the stored cursor, to the end of what changed:
    each page is folded, then its cursor stored, so a run that stops between pages (a crash, a
    transient error, ``max_pages``) resumes where it stopped and repeats at most one page."""
    if not isinstance(provider, StatusPull):
        summary = {"provider": provider.name, "skipped": "the provider offers no status pull"}
        journal.record(INTEGRATION, "reconcile_pull", outcome="skipped", details=summary)
        return summary
    name = cursor_name(provider)
    cursor = ledger.read_cursor(db, name)
    result, pages, more, ignored = ledger.FoldResult(), 0, True, 0
    while more and pages < max_pages:
        page = provider.fetch_events(cursor)
        result.add(ledger.fold_events(db, page.events))
        with db.begin() as conn:
            ledger.write_cursor(conn, name, page.cursor)
        cursor, more, pages, ignored = page.cursor, page.more, pages + 1, ignored + page.ignored
    summary = {
        "provider": provider.name,
        **result.as_dict(),
        "ignored": ignored,
        "pages": pages,
        "more": more,
    }
    journal.record(
        INTEGRATION,
        "reconcile_pull",
        outcome="changed" if result.updated else "ok",
        details=summary,
    )
    return summary


def fold_webhook_inbox(
    db: PlatformDB, journal: Journal, *, batch: int = 1000, sources=tuple(INBOX_READERS)
) -> dict:
    """Fold every unprocessed webhook post of the mail sources. A stored event that cannot be
    read (no timestamp) is counted as unusable and marked processed: it would never become
    readable by waiting."""
    total, unusable = ledger.FoldResult(), 0
    for source in sources:
        read = INBOX_READERS[source]
        while rows := inbox.pending(db, source, batch):
            events = []
            for row in rows:
                try:
                    events.append(read(row["payload"], row["received_at"]))
                except InvalidInputError:
                    unusable += 1
            total.add(ledger.fold_events(db, events))
            inbox.mark_processed(db, [row["id"] for row in rows])
    summary = {**total.as_dict(), "unusable": unusable}
    journal.record(
        INTEGRATION,
        "reconcile_webhooks",
        outcome="changed" if total.updated else "ok",
        details=summary,
    )
    return summary
