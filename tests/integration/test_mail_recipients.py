"""Several recipients per notification: each goes out as its provider expects, each has its own
status, and the notification shows the roll-up an operator reads (docs/integrations/mail.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from ponton.errors import TransientError
from ponton.journal import Journal
from ponton.mail import ledger, suppression
from ponton.mail.backends import postmark_events
from ponton.mail.backends.sendgrid_events import dedupe_key as sendgrid_key
from ponton.mail.dispatch import dispatch_pending
from ponton.mail.reconcile import fold_webhook_inbox, pull_provider_events
from ponton.platform.schema import notification_recipients, notifications, utcnow
from ponton.webhooks import inbox
from tests.integration.test_mail_dispatch import add, rows

pytestmark = pytest.mark.integration
TEAM = {
    "to_recipients": [{"email": "ana@example.com", "name": "Ana Martin"}, "bruno@example.com"],
    "cc_recipients": [{"email": "chloe@example.com", "name": "Chloé Dubois"}],
    "bcc_recipients": ["audit@example.com"],
    "reply_to": "planning-team@example.com",
    "reply_to_name": "Équipe planning",
}


def recipient_statuses(db, nid) -> dict[str, tuple[str, str, str | None]]:
    with db.engine.connect() as conn:
        query = sa.select(notification_recipients).where(
            notification_recipients.c.notification_id == nid
        )
        return {r.address: (r.role, r.status, r.last_error) for r in conn.execute(query).mappings()}


def suppress(db, address: str) -> None:
    entry = {
        "address": address,
        "reason": "bounced",
        "provider": "postmark",
        "notification_id": None,
        "event": "HardBounce",
        "occurred_at": utcnow(),
    }
    with db.begin() as conn:
        suppression.add(conn, [entry])


def test_smtp_sends_one_message_to_every_recipient_with_bcc_only_in_the_envelope(
    platform_db, mail_backend
):
    backend = mail_backend("smtp")
    (nid,) = add(platform_db, **TEAM)
    assert dispatch_pending(platform_db, backend.provider, Journal(platform_db)).sent == 1
    (_sender, envelope), raw = backend.peer.handler.envelopes[0], backend.peer.handler.messages[0]
    assert sorted(envelope) == sorted(
        ["ana@example.com", "bruno@example.com", "chloe@example.com", "audit@example.com"]
    )
    msg = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in msg["To"].addresses] == ["ana@example.com", "bruno@example.com"]
    assert str(msg["Cc"].addresses[0].display_name) == "Chloé Dubois"
    assert str(msg["Reply-To"].addresses[0].display_name) == "Équipe planning"
    assert msg["Bcc"] is None and b"audit@example.com" not in raw
    statuses = recipient_statuses(platform_db, nid)
    assert {a: s for a, (_, s, _) in statuses.items()} == dict.fromkeys(envelope, "sent")
    assert statuses["audit@example.com"][0] == "bcc"
    assert rows(platform_db)[nid]["status"] == "sent"


def test_a_recipient_the_relay_refuses_fails_alone_and_the_others_are_sent(
    platform_db, mail_backend
):
    backend = mail_backend("smtp")
    backend.peer.refuse_address("bruno@example.com")
    (nid,) = add(platform_db, **TEAM)
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert (summary.sent, summary.failed) == (1, 0), "the message went out"
    [(_, envelope)] = backend.peer.handler.envelopes
    assert "bruno@example.com" not in envelope and len(envelope) == 3
    statuses = recipient_statuses(platform_db, nid)
    _role, status, reason = statuses["bruno@example.com"]
    assert (status, "550") == ("failed", reason.split()[1])
    assert statuses["ana@example.com"][1] == "sent"
    row = rows(platform_db)[nid]
    assert row["status"] == "failed", "a hard failure of any recipient shows on the notification"
    assert "bruno@example.com: 550" in row["last_error"]


def set_row(db, nid: int, **values) -> None:
    with db.begin() as conn:
        conn.execute(notifications.update().where(notifications.c.id == nid).values(**values))


def test_a_greylisted_recipient_defers_the_whole_message_and_the_run_goes_on(
    platform_db, mail_backend
):
    backend = mail_backend("smtp")
    backend.peer.refuse_address("bruno@example.com", "450 4.7.1 Greylisted, come back later")
    (deferred,) = add(platform_db, **TEAM)
    (other,) = add(platform_db)
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert (summary.deferred, summary.sent) == (1, 1), "the next notification still went"
    assert [sorted(e) for _, e in backend.peer.handler.envelopes] == [["person0@example.com"]]
    row = rows(platform_db)[deferred]
    assert row["status"] == "pending" and recipient_statuses(platform_db, deferred) == {}
    assert "bruno@example.com: 450" in row["last_error"]
    assert row["last_error"].startswith("next attempt at "), "the time fits the status listing"
    assert row["next_attempt_at"] - utcnow() > timedelta(minutes=9)
    assert rows(platform_db)[other]["status"] == "sent"
    # Not due yet: left alone. Due, and the relay takes everyone now: one message to all four.
    assert dispatch_pending(platform_db, backend.provider, Journal(platform_db)).deferred == 0
    del backend.peer.handler.refused_addresses["bruno@example.com"]
    set_row(platform_db, deferred, next_attempt_at=utcnow() - timedelta(seconds=1))
    assert dispatch_pending(platform_db, backend.provider, Journal(platform_db)).sent == 1
    assert len(backend.peer.handler.envelopes[-1][1]) == 4
    assert rows(platform_db)[deferred]["status"] == "sent"


def test_the_wait_doubles_and_a_message_past_the_give_up_time_goes_to_those_who_accept(
    platform_db, mail_backend
):
    backend = mail_backend("smtp")
    backend.peer.refuse_address("bruno@example.com", "452 4.2.2 Mailbox full")
    (nid,) = add(platform_db, **TEAM)
    waits = []
    for _ in range(2):
        set_row(platform_db, nid, next_attempt_at=None)
        dispatch_pending(platform_db, backend.provider, Journal(platform_db))
        waits.append(rows(platform_db)[nid]["next_attempt_at"] - utcnow())
    assert timedelta(minutes=18) < waits[1] < timedelta(minutes=21) and waits[0] < waits[1]
    assert backend.peer.handler.envelopes == []
    set_row(platform_db, nid, next_attempt_at=None, created_at=utcnow() - timedelta(days=3))
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert summary.sent == 1 and len(backend.peer.handler.envelopes[0][1]) == 3
    statuses = recipient_statuses(platform_db, nid)
    assert statuses["bruno@example.com"][1:] == ("failed", "refused: 452 4.2.2 Mailbox full")
    assert rows(platform_db)[nid]["status"] == "failed"


def test_a_relay_that_answers_421_stops_the_run_for_airflow_to_retry(platform_db, mail_backend):
    """421 closes the session (RFC 5321 section 3.8): the relay's trouble, not a recipient's."""
    backend = mail_backend("smtp")
    backend.peer.refuse_address("bruno@example.com", "421 4.3.2 Shutting down")
    (nid,) = add(platform_db, **TEAM)
    with pytest.raises(TransientError):
        dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    row = rows(platform_db)[nid]
    assert (row["status"], row["next_attempt_at"]) == ("pending", None)


@pytest.mark.parametrize("kind", ["smtp", "sendgrid", "postmark", "local"])
def test_a_suppressed_copy_is_dropped_from_the_send_and_marked_suppressed(
    platform_db, mail_backend, kind
):
    backend = mail_backend(kind)
    suppress(platform_db, "chloe@example.com")
    (nid,) = add(platform_db, **TEAM)
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert (summary.sent, summary.suppressed) == (1, 1)
    statuses = recipient_statuses(platform_db, nid)
    assert statuses["chloe@example.com"][1:] == (
        "suppressed",
        "on the suppression list: bounced (postmark)",
    )
    if kind != "local":
        (seen,) = backend.peer.seen()
        assert seen["cc"] == [] and "chloe@example.com" not in seen["recipients"]
    assert rows(platform_db)[nid]["status"] in ("queued", "sent", "delivered")


def test_when_every_to_recipient_is_suppressed_nothing_is_sent(platform_db, mail_backend):
    backend = mail_backend("sendgrid")
    suppress(platform_db, "ana@example.com")
    suppress(platform_db, "bruno@example.com")
    (nid,) = add(platform_db, **TEAM)
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert (summary.sent, summary.suppressed) == (0, 4)
    assert backend.delivered_count() == 0
    assert rows(platform_db)[nid]["status"] == "suppressed"
    statuses = recipient_statuses(platform_db, nid)
    assert {s for _, s, _ in statuses.values()} == {"suppressed"}
    assert "every To recipient" in statuses["chloe@example.com"][2]


def test_postmark_refuses_a_notification_over_fifty_recipients_with_a_clear_error(
    platform_db, mail_backend
):
    backend = mail_backend("postmark")
    crowd = [f"person{i}@example.com" for i in range(51)]
    (nid,) = add(platform_db, to_recipients=crowd[:1], bcc_recipients=crowd[1:])
    summary = dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    assert (summary.sent, summary.failed) == (0, 1)
    assert backend.delivered_count() == 0
    row = rows(platform_db)[nid]
    assert row["status"] == "failed"
    assert "51 recipients" in row["last_error"] and "over the 50" in row["last_error"]
    assert {s for _, s, _ in recipient_statuses(platform_db, nid).values()} == {"failed"}


def test_sendgrid_events_roll_up_delivered_only_when_every_recipient_is(platform_db, mail_backend):
    backend = mail_backend("sendgrid")
    (nid,) = add(platform_db, to_recipients=["ana@example.com", "bruno@example.com"])
    dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    stored = backend.peer.messages[0]
    t0 = datetime.now(UTC).replace(microsecond=0)

    def post(*events):
        inbox.store_many(platform_db, "sendgrid", [(sendgrid_key(e), e) for e in events])
        fold_webhook_inbox(platform_db, Journal(platform_db))

    post(backend.peer.event(stored, "delivered", t0, "ana@example.com"))
    assert rows(platform_db)[nid]["status"] == "queued", "bruno's copy is still on its way"
    post(backend.peer.event(stored, "delivered", t0 + timedelta(seconds=2), "bruno@example.com"))
    assert rows(platform_db)[nid]["status"] == "delivered"
    post(backend.peer.event(stored, "spamreport", t0 + timedelta(hours=1), "bruno@example.com"))
    assert rows(platform_db)[nid]["status"] == "complained"
    statuses = recipient_statuses(platform_db, nid)
    assert (statuses["ana@example.com"][1], statuses["bruno@example.com"][1]) == (
        "delivered",
        "complained",
    )
    [entry] = suppression.entries(platform_db)
    assert (entry["address"], entry["reason"]) == ("bruno@example.com", "complained")


def test_postmark_pull_folds_a_bounce_of_one_recipient_into_a_bounced_notification(
    platform_db, mail_backend
):
    backend = mail_backend("postmark")
    (nid,) = add(platform_db, to_recipients=["ana@example.com"], cc_recipients=["bob@example.com"])
    dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    message_id = rows(platform_db)[nid]["provider_message_id"]
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)  # after the send
    backend.peer.deliver(message_id, t0, recipient="ana@example.com")
    backend.peer.bounce(message_id, t0 + timedelta(seconds=1), recipient="bob@example.com")
    pull_provider_events(platform_db, backend.provider, Journal(platform_db))
    statuses = recipient_statuses(platform_db, nid)
    assert (statuses["ana@example.com"][1], statuses["bob@example.com"][1]) == (
        "delivered",
        "bounced",
    )
    assert rows(platform_db)[nid]["status"] == "bounced"
    assert [e["address"] for e in suppression.entries(platform_db)] == ["bob@example.com"]


def test_a_postmark_bounce_webhook_names_the_bounced_address(mail_backend, platform_db):
    backend = mail_backend("postmark")
    (nid,) = add(platform_db, to_recipients=["ana@example.com", "bob@example.com"])
    dispatch_pending(platform_db, backend.provider, Journal(platform_db))
    message_id = rows(platform_db)[nid]["provider_message_id"]
    record = backend.peer.bounce(message_id, datetime.now(UTC), recipient="bob@example.com")
    event = postmark_events.status_event(record)
    assert (event.kind, event.recipient, event.notification_id) == (
        "bounced",
        "bob@example.com",
        nid,
    )
    ledger.fold_events(platform_db, [event])
    assert recipient_statuses(platform_db, nid)["ana@example.com"][1] == "queued"
    assert rows(platform_db)[nid]["status"] == "bounced"


def test_a_row_tried_many_times_before_waits_the_longest_wait_not_an_overflow(
    platform_db, mail_backend
):
    backend = mail_backend("smtp")
    backend.peer.refuse_address("bruno@example.com", "450 4.7.1 Greylisted")
    (nid,) = add(platform_db, **TEAM)
    set_row(platform_db, nid, attempts=5000)
    assert dispatch_pending(platform_db, backend.provider, Journal(platform_db)).deferred == 1
    wait = rows(platform_db)[nid]["next_attempt_at"] - utcnow()
    assert timedelta(hours=3, minutes=59) < wait <= timedelta(hours=4)
