"""Status reconciliation end to end: send through a fake provider, report statuses by webhook and
by pull, fold them, read them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.errors import TransientError
from ponton.journal import Journal
from ponton.mail import ledger
from ponton.mail.backends.sendgrid_events import dedupe_key as sendgrid_key
from ponton.mail.dispatch import dispatch_pending
from ponton.mail.reconcile import cursor_name, fold_webhook_inbox, pull_provider_events
from ponton.platform.schema import notification_events, notifications
from ponton.webhooks import inbox
from tests.integration.test_mail_dispatch import add

pytestmark = pytest.mark.integration


def status_of(db, nid):
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(notifications.c.status, notifications.c.status_at).where(
                notifications.c.id == nid
            )
        ).one()


def events_of(db, nid):
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(notification_events.c.status, notification_events.c.event)
            .where(notification_events.c.notification_id == nid)
            .order_by(notification_events.c.occurred_at, notification_events.c.id)
        ).all()


def sent_through(db, backend, count=1):
    ids = add(db, count)
    dispatch_pending(db, backend.provider, Journal(db))
    return ids


def pull_crashing_on_the_second_page(db, provider) -> list[str | None]:
    """A status pull whose worker is lost when it asks for the second page; the cursors the
    provider was asked for."""
    fetch, calls = provider.fetch_events, []

    def crash_on_the_second_page(cursor):
        calls.append(cursor)
        if len(calls) == 2:
            raise TransientError("worker lost between pages")
        return fetch(cursor)

    provider.fetch_events = crash_on_the_second_page
    try:
        with pytest.raises(TransientError):
            pull_provider_events(db, provider, Journal(db))
    finally:
        provider.fetch_events = fetch
    return calls


def test_webhooks_arriving_out_of_order_end_with_the_latest_event(platform_db, mail_backend):
    backend = mail_backend("sendgrid")
    (nid,) = sent_through(platform_db, backend)
    stored = backend.peer.messages[0]
    t0 = datetime.now(UTC).replace(microsecond=0)
    processed = backend.peer.event(stored, "processed", t0)
    delivered = backend.peer.event(stored, "delivered", t0 + timedelta(seconds=4))
    inbox.store_many(platform_db, "sendgrid", [(sendgrid_key(delivered), delivered)])
    fold_webhook_inbox(platform_db, Journal(platform_db))
    inbox.store_many(platform_db, "sendgrid", [(sendgrid_key(processed), processed)])
    summary = fold_webhook_inbox(platform_db, Journal(platform_db))
    assert summary["recorded"] == 1
    assert status_of(platform_db, nid) == ("delivered", t0 + timedelta(seconds=4))
    timeline = [e.event for e in events_of(platform_db, nid)]
    assert (
        sorted(timeline) == ["accepted", "delivered", "processed"] and timeline[-1] == "delivered"
    )


def test_a_bounce_after_delivery_deferrals_and_an_open_are_all_kept(platform_db, mail_backend):
    backend = mail_backend("postmark")
    (nid,) = sent_through(platform_db, backend)
    stored = backend.peer.messages[0]
    t0 = datetime.now(UTC).replace(microsecond=0)
    records = [
        backend.peer.record(stored, "Open", ReceivedAt=(t0 + timedelta(minutes=9)).isoformat()),
        backend.peer.record(
            stored,
            "Bounce",
            Type="HardBounce",
            BouncedAt=(t0 + timedelta(minutes=5)).isoformat(),
            ID=42,
        ),
        backend.peer.record(
            stored,
            "Bounce",
            Type="SoftBounce",
            BouncedAt=(t0 + timedelta(minutes=1)).isoformat(),
            ID=41,
        ),
    ]
    from ponton.mail.backends.postmark_events import dedupe_key

    inbox.store_many(platform_db, "postmark", [(dedupe_key(r), r) for r in records])
    fold_webhook_inbox(platform_db, Journal(platform_db))
    assert status_of(platform_db, nid).status == "bounced"
    assert {e.status for e in events_of(platform_db, nid)} >= {"deferred", "bounced", "opened"}


def test_unknown_event_types_are_recorded_as_unknown_and_change_nothing(platform_db, mail_backend):
    backend = mail_backend("sendgrid")
    (nid,) = sent_through(platform_db, backend)
    stored = backend.peer.messages[0]
    later = datetime.now(UTC) + timedelta(hours=1)
    strange = [
        backend.peer.event(stored, name, later) for name in ("group_resubscribe", "quantum_bounce")
    ]
    inbox.store_many(platform_db, "sendgrid", [(sendgrid_key(e), e) for e in strange])
    summary = fold_webhook_inbox(platform_db, Journal(platform_db))
    assert (summary["recorded"], summary["updated"]) == (2, 0)
    assert status_of(platform_db, nid).status == "queued"
    assert [e.status for e in events_of(platform_db, nid)][-2:] == ["unknown", "unknown"]


def test_unreadable_and_unmatched_posts_are_counted_and_cleared(platform_db):
    inbox.store_many(
        platform_db,
        "sendgrid",
        [
            ("no-time", {"event": "delivered"}),
            ("stranger", {"event": "delivered", "timestamp": 1, "sg_message_id": "nobody"}),
        ],
    )
    summary = fold_webhook_inbox(platform_db, Journal(platform_db))
    assert (summary["unusable"], summary["unmatched"]) == (1, 1)
    assert inbox.pending(platform_db, "sendgrid") == []
    (entry,) = Journal(platform_db).tail(1, integration="mail")
    assert entry.action == "reconcile_webhooks" and entry.details["unusable"] == 1


def test_postmark_pull_folds_deliveries_and_moves_the_cursor(platform_db, mail_backend):
    backend = mail_backend("postmark")
    first, second = sent_through(platform_db, backend, 2)
    receipts = {
        m["Metadata"]["ponton_notification_id"]: m["MessageID"] for m in backend.peer.messages
    }
    backend.peer.deliver(receipts[str(first)], datetime.now(UTC) + timedelta(seconds=2))
    summary = pull_provider_events(platform_db, backend.provider, Journal(platform_db))
    assert summary["updated"] >= 1
    assert status_of(platform_db, first).status == "delivered"
    assert status_of(platform_db, second).status == "sent"
    assert ledger.read_cursor(platform_db, cursor_name(backend.provider))
    again = pull_provider_events(platform_db, backend.provider, Journal(platform_db))
    assert (again["recorded"], again["updated"]) == (0, 0)


def test_sendgrid_activity_pull_matches_messages_by_their_id(platform_db, mail_backend):
    backend = mail_backend("sendgrid")
    (nid,) = sent_through(platform_db, backend)
    backend.peer.deliver(backend.peer.messages[0]["x_message_id"], datetime.now(UTC))
    summary = pull_provider_events(platform_db, backend.provider, Journal(platform_db))
    assert (summary["updated"], summary["unmatched"]) == (1, 0)
    assert status_of(platform_db, nid).status == "delivered"


def test_providers_without_a_status_pull_are_skipped_and_journaled(platform_db, mail_backend):
    backend = mail_backend("smtp")
    summary = pull_provider_events(platform_db, backend.provider, Journal(platform_db))
    assert "skipped" in summary
    (entry,) = Journal(platform_db).tail(1, integration="mail")
    assert (entry.action, entry.outcome) == ("reconcile_pull", "skipped")


def test_a_pull_that_stops_between_pages_resumes_from_the_stored_cursor(platform_db, tmp_path):
    from ponton.mail.backends.local import LocalCapture, LocalCaptureOptions
    from tests.integration.conftest import SENDER

    capture = LocalCapture(
        options=LocalCaptureOptions(folder=tmp_path / "mail", sender=SENDER, page_size=2)
    )
    add(platform_db, 5)
    assert dispatch_pending(platform_db, capture, Journal(platform_db)).sent == 5
    calls = pull_crashing_on_the_second_page(platform_db, capture)
    stored = ledger.read_cursor(platform_db, cursor_name(capture))
    assert stored is not None and stored == calls[1], "the first page's cursor was kept"
    summary = pull_provider_events(platform_db, capture, Journal(platform_db))
    assert (summary["pages"], summary["more"]) == (2, False)
    with platform_db.engine.connect() as conn:
        captured = conn.execute(
            sa.select(sa.func.count())
            .select_from(notification_events)
            .where(notification_events.c.event == "captured")
        ).scalar()
    assert captured == 5, "every captured message folded once, none skipped"
