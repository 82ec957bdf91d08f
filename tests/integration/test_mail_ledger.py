"""The notifications ledger on SQLite and PostgreSQL: claims, receipts and the status fold."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.mail import ledger, suppression
from ponton.mail.port import Receipt
from ponton.mail.status import LEDGER_STATUSES, StatusEvent
from ponton.platform.schema import notification_events, notification_recipients, notifications

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def add_notifications(db, count=1, **values) -> list[int]:
    """Rows as dispatch leaves them: past ``pending``, one recipient row each, ``sending`` while
    ponton holds the notification, else with the notification's status."""
    rows = [
        {"to_recipients": [f"person{i}@example.com"], "subject": "Planning", "body_text": "x"}
        | values
        for i in range(count)
    ]
    status = values.get("status", "pending")
    with db.begin() as conn:
        conn.execute(notifications.insert(), rows)
        ids = list(
            conn.execute(sa.select(notifications.c.id).order_by(notifications.c.id)).scalars()
        )
        if status != "pending":
            conn.execute(
                notification_recipients.insert(),
                [
                    {
                        "notification_id": nid,
                        "role": "to",
                        "address": f"person{i}@example.com",
                        "status": "sending" if status in LEDGER_STATUSES else status,
                        "status_at": values.get("status_at"),
                    }
                    for i, nid in enumerate(ids)
                ],
            )
        return ids


def event(kind, at, nid=None, provider="sendgrid", event_id=None, message_id=None) -> StatusEvent:
    return StatusEvent(
        provider=provider,
        provider_event_id=event_id or f"{kind}:{nid}:{at.isoformat()}",
        kind=kind,
        occurred_at=at,
        notification_id=nid,
        provider_message_id=message_id,
        event=kind,
    )


def row(db, nid):
    with db.engine.connect() as conn:
        return (
            conn.execute(sa.select(notifications).where(notifications.c.id == nid)).mappings().one()
        )


def event_count(db):
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(notification_events)).scalar()


def test_delivered_arriving_before_sent_still_ends_delivered(platform_db):
    (nid,) = add_notifications(platform_db, status="sending")
    ledger.fold_events(platform_db, [event("delivered", T0 + timedelta(seconds=5), nid)])
    ledger.fold_events(platform_db, [event("queued", T0, nid)])
    assert (row(platform_db, nid)["status"], row(platform_db, nid)["status_at"]) == (
        "delivered",
        T0 + timedelta(seconds=5),
    )
    assert event_count(platform_db) == 2


def test_within_one_batch_the_latest_event_time_wins_whatever_the_order(platform_db):
    (nid,) = add_notifications(platform_db, status="queued", status_at=T0)
    ledger.fold_events(
        platform_db,
        [
            event("complained", T0 + timedelta(hours=2), nid),
            event("delivered", T0 + timedelta(minutes=1), nid),
            event("deferred", T0 + timedelta(seconds=10), nid),
        ],
    )
    assert row(platform_db, nid)["status"] == "complained"


def test_same_second_events_break_the_tie_by_progress(platform_db):
    (nid,) = add_notifications(platform_db, status="sending")
    ledger.fold_events(platform_db, [event("delivered", T0, nid), event("queued", T0, nid)])
    assert row(platform_db, nid)["status"] == "delivered"


def test_replayed_events_are_stored_once_and_change_nothing(platform_db):
    (nid,) = add_notifications(platform_db, status="sending")
    batch = [event("delivered", T0, nid, event_id="sg-1")]
    first = ledger.fold_events(platform_db, batch)
    again = ledger.fold_events(platform_db, batch)
    assert (first.recorded, first.updated) == (1, 1)
    assert (again.recorded, again.updated) == (0, 0)


def test_opens_clicks_and_unknown_events_are_kept_but_do_not_move_the_status(platform_db):
    (nid,) = add_notifications(platform_db, status="delivered", status_at=T0)
    later = T0 + timedelta(hours=1)
    result = ledger.fold_events(
        platform_db,
        [event("opened", later, nid), event("clicked", later, nid), event("unknown", later, nid)],
    )
    assert (result.recorded, result.updated) == (3, 0)
    assert row(platform_db, nid)["status"] == "delivered"


def test_events_without_our_id_are_matched_by_provider_message_id_prefix(platform_db):
    (nid,) = add_notifications(
        platform_db,
        status="queued",
        status_at=T0,
        provider="sendgrid",
        provider_message_id="XMSG.1",
    )
    result = ledger.fold_events(
        platform_db,
        [
            event("delivered", T0 + timedelta(1), message_id="XMSG.1.filterdrecv-7-1.0"),
            event("delivered", T0 + timedelta(1), message_id="OTHER.filter", event_id="x"),
        ],
    )
    assert (result.updated, result.unmatched) == (1, 1)
    assert row(platform_db, nid)["status"] == "delivered"


def test_an_event_for_a_row_without_receipt_fills_in_the_provider_id(platform_db):
    (nid,) = add_notifications(platform_db, status="sending")
    ledger.fold_events(platform_db, [event("delivered", T0, nid, message_id="pm-123")])
    assert row(platform_db, nid)["provider_message_id"] == "pm-123"


@pytest.mark.parametrize("sent_to", [None, 1], ids=["rows-read-back", "dispatch-count"])
def test_a_receipt_after_a_webhook_does_not_regress_the_status(platform_db, sent_to):
    (nid,) = add_notifications(platform_db, status="sending", provider="postmark")
    ledger.fold_events(platform_db, [event("delivered", T0 + timedelta(seconds=3), nid)])
    with platform_db.begin() as conn:
        ledger.record_receipt(conn, nid, "postmark", Receipt("pm-1", T0, "queued"), sent_to=sent_to)
    stored = row(platform_db, nid)
    assert (stored["status"], stored["provider_message_id"], stored["sent_at"]) == (
        "delivered",
        "pm-1",
        T0,
    )


def test_a_receipt_moving_every_recipient_it_went_to_is_the_status_without_a_read_back(
    platform_db,
):
    (nid,) = add_notifications(platform_db, status="sending", provider="postmark")
    with platform_db.begin() as conn:
        ledger.record_receipt(conn, nid, "postmark", Receipt("pm-1", T0, "queued"), sent_to=1)
    assert row(platform_db, nid)["status"] == "queued"


def test_ledger_statuses_always_give_way_to_provider_events(platform_db):
    (nid,) = add_notifications(platform_db, status="review", last_error="unsure")
    ledger.fold_events(platform_db, [event("delivered", T0 - timedelta(days=1), nid)])
    assert row(platform_db, nid)["status"] == "delivered"


def test_large_batches_are_folded_in_chunks(platform_db):
    ids = add_notifications(platform_db, count=30, status="sending")
    events = [
        event(k, T0 + timedelta(seconds=s), nid)
        for nid in ids
        for s, k in ((2, "delivered"), (1, "sent"), (0, "queued"))
    ]
    result = ledger.fold_events(platform_db, events, chunk=7)
    assert (result.received, result.recorded, result.updated) == (90, 90, 30)
    with platform_db.engine.connect() as conn:
        statuses = set(conn.execute(sa.select(notifications.c.status)).scalars())
    assert statuses == {"delivered"}


def test_claims_skip_rows_locked_by_another_dispatcher(platform_db):
    if platform_db.dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    first, second = add_notifications(platform_db, count=2)
    with platform_db.engine.connect() as one, platform_db.engine.connect() as two:
        one.begin()
        two.begin()
        assert ledger.claim_next_pending(one, "attempt-1", "smtp")["id"] == first
        assert ledger.claim_next_pending(two, "attempt-2", "smtp")["id"] == second
        one.rollback()
        two.rollback()


def test_cursors_are_upserted(platform_db):
    assert ledger.read_cursor(platform_db, "mail:x") is None
    for value in ("a", "b"):
        with platform_db.begin() as conn:
            ledger.write_cursor(conn, "mail:x", value)
    assert ledger.read_cursor(platform_db, "mail:x") == "b"


@pytest.mark.parametrize("vouched", [True, False], ids=["provider-api", "mailbox-report"])
def test_a_bounce_naming_no_message_suppresses_only_when_the_provider_vouches(platform_db, vouched):
    bounce = StatusEvent(
        provider="sendgrid",
        provider_event_id="b-1",
        kind="bounced",
        occurred_at=T0,
        recipient="Zoe@Example.com",
        vouched=vouched,
    )
    result = ledger.fold_events(platform_db, [bounce])
    assert result.unmatched == 1
    addresses = [e["address"] for e in suppression.entries(platform_db)]
    assert addresses == (["zoe@example.com"] if vouched else [])
