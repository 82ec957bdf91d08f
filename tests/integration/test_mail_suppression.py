"""The suppression list: a hard bounce, complaint or unsubscribe reported by any provider keeps
ponton from mailing that address again, whichever provider is configured now, until a person
lifts it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ponton.cli import main
from ponton.journal import Journal
from ponton.mail import ledger
from ponton.mail.backends import postmark_events, sendgrid_events
from ponton.mail.dispatch import dispatch_pending
from ponton.mail.status import StatusEvent
from tests.integration.test_mail_dispatch import add, rows

pytestmark = pytest.mark.integration
AT = datetime(2026, 3, 16, 9, tzinfo=UTC)


def bounce(nid: int, kind: str = "bounced", recipient: str = "ana@example.com") -> StatusEvent:
    return StatusEvent(
        "sendgrid",
        f"ev-{nid}-{kind}",
        kind,
        AT,
        notification_id=nid,
        event=kind,
        recipient=recipient,
    )


@pytest.mark.parametrize("kind", ["local", "smtp", "sendgrid", "postmark"])
def test_a_bounced_address_is_suppressed_until_lifted(platform_env, mail_backend, kind, capsys):
    backend = mail_backend(kind)
    [first] = add(platform_env, to_recipients=["ana@example.com"])
    assert dispatch_pending(platform_env, backend.provider, Journal(platform_env)).sent == 1
    ledger.fold_events(platform_env, [bounce(first)])
    assert rows(platform_env)[first]["status"] == "bounced"
    [second] = add(platform_env, to_recipients=["Ana@Example.com"])
    summary = dispatch_pending(platform_env, backend.provider, Journal(platform_env))
    assert (summary.suppressed, summary.sent) == (1, 0)
    assert rows(platform_env)[second]["status"] == "suppressed"
    assert "suppression list: bounced (sendgrid)" in rows(platform_env)[second]["last_error"]
    assert backend.delivered_count() == 1, "nothing more handed to the provider"

    capsys.readouterr()  # what the provider set-up logged
    assert main(["notifications", "suppressions", "--json"]) == 0
    [entry] = json.loads(capsys.readouterr().out)["suppressions"]
    assert (entry["address"], entry["reason"], entry["notification_id"]) == (
        "ana@example.com",
        "bounced",
        first,
    )
    assert main(["notifications", "lift", "ANA@example.com"]) == 0
    [third] = add(platform_env, to_recipients=["ana@example.com"])
    assert dispatch_pending(platform_env, backend.provider, Journal(platform_env)).sent == 1
    assert rows(platform_env)[third]["status"] in ("queued", "sent", "delivered")
    assert main(["notifications", "lift", "ana@example.com"]) == 2, "already lifted"


def test_complaints_and_unsubscribes_suppress_but_soft_bounces_do_not(platform_env, capsys):
    ids = add(platform_env, 3)
    kinds = ["complained", "unsubscribed", "deferred"]
    ledger.fold_events(
        platform_env,
        [
            bounce(n, k, f"person{i}@example.com")
            for i, (n, k) in enumerate(zip(ids, kinds, strict=True))
        ],
    )
    assert main(["notifications", "suppressions", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["suppressions"]
    assert {(e["address"], e["reason"]) for e in listed} == {
        ("person0@example.com", "complained"),
        ("person1@example.com", "unsubscribed"),
    }


def test_provider_unsubscribes_map_to_unsubscribed():
    sg = sendgrid_events.status_event(
        {"event": "unsubscribe", "timestamp": 1773651600, "sg_event_id": "u1"}
    )
    pm = postmark_events.status_event(
        {
            "RecordType": "SubscriptionChange",
            "SuppressSending": True,
            "SuppressionReason": "ManualSuppression",
            "ChangedAt": "2026-03-16T09:00:00Z",
        }
    )
    auto = postmark_events.status_event(
        {"RecordType": "Bounce", "Type": "AutoResponder", "BouncedAt": "2026-03-16T09:00:00Z"}
    )
    assert (sg.kind, pm.kind, auto.kind) == ("unsubscribed", "unsubscribed", "autoresponded")


def test_an_address_read_from_a_bounce_mail_is_suppressed_by_hand(platform_env, mail_backend):
    backend = mail_backend("smtp")
    assert main(["notifications", "suppress", "Ana@Example.com"]) == 0
    assert main(["notifications", "suppress", "ana@example.com"]) == 2, "already on the list"
    [nid] = add(platform_env, to_recipients=["ana@example.com"])
    summary = dispatch_pending(platform_env, backend.provider, Journal(platform_env))
    assert (summary.suppressed, summary.sent) == (1, 0)
    assert "bounced (manual)" in rows(platform_env)[nid]["last_error"]
    assert backend.delivered_count() == 0
