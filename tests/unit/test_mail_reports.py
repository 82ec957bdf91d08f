"""Reading what comes back to an SMTP sender's bounce mailbox: a corpus of real-world formats
(Postfix, Gmail and Office 365 DSNs, Exim and qmail non-standard bounces, a Yahoo ARF complaint,
an Outlook out-of-office, a person's reply) in tests/fixtures/mail_reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ponton.mail.backends.smtp_reports import read_report
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

CORPUS = ROOT / "tests" / "fixtures" / "mail_reports"


def read(name: str):
    return read_report((CORPUS / name).read_bytes())


@pytest.mark.parametrize(
    ("name", "kind", "recipient", "reference", "event"),
    [
        ("postfix_failed.eml", "bounced", "ana.martin@example.org", "n501-1a2b3c4d", "dsn:failed"),
        (
            "postfix_delayed.eml",
            "deferred",
            "bruno.leroy@example.net",
            "n502-5e6f7a8b",
            "dsn:delayed",
        ),
        ("gmail_failed.eml", "bounced", "nobody.here@gmail.com", "n503-9c0d1e2f", "dsn:failed"),
        ("office365_ndr.eml", "bounced", "claire.petit@contoso.com", "n504-3a4b5c6d", "dsn:failed"),
        ("exim_failed.eml", "bounced", "david.roux@example.com", "n505-7e8f9a0b", "bounce:bounced"),
        (
            "qmail_failed.eml",
            "bounced",
            "emma.blanc@example.com",
            "n506-2c3d4e5f",
            "bounce:bounced",
        ),
        ("arf_complaint.eml", "complained", "felix.garnier@yahoo.fr", "n507-6a7b8c9d", "arf:abuse"),
        (
            "out_of_office.eml",
            "autoresponded",
            "gabriel.henry@example.com",
            "n508-0e1f2a3b",
            "auto-replied",
        ),
    ],
)
def test_each_format_names_the_recipient_and_our_message(name, kind, recipient, reference, event):
    (finding,) = read(name)
    assert (finding.kind, finding.recipient, finding.reference, finding.event) == (
        kind,
        recipient,
        reference,
        event,
    )


def test_a_dsn_gives_status_and_diagnostic_as_the_reason_and_its_own_time():
    (finding,) = read("postfix_failed.eml")
    assert finding.reason.startswith("5.1.1 smtp; 550 5.1.1 <ana.martin@example.org>: Recipient")
    assert finding.occurred_at == datetime(2026, 3, 17, 8, 14, 7, tzinfo=UTC)
    (gmail,) = read("gmail_failed.eml")
    assert gmail.occurred_at == datetime(2026, 3, 17, 8, 22, 41, tzinfo=UTC), "Last-Attempt-Date"


def test_a_report_without_a_usable_date_leaves_the_time_to_the_mailbox():
    (finding,) = read("qmail_failed.eml")  # "-0000": the zone is unknown (RFC 5322 3.3)
    assert finding.occurred_at is None
    assert finding.reason == "5.1.1 (non-DSN bounce)"


def test_a_person_s_reply_is_no_report():
    assert read("human_reply.eml") == []


def test_the_envelope_id_wins_over_the_returned_headers():
    raw = (CORPUS / "postfix_failed.eml").read_bytes()
    raw = raw.replace(b"Original-Envelope-Id: n501-1a2b3c4d", b"Original-Envelope-Id: n42-00ff00ff")
    assert [f.reference for f in read_report(raw)] == ["n42-00ff00ff"]


def test_a_relay_giving_up_on_a_temporary_condition_is_a_failure_not_a_bounce():
    raw = (CORPUS / "postfix_failed.eml").read_bytes().replace(b"Status: 5.1.1", b"Status: 4.4.7")
    (finding,) = read_report(raw)
    assert finding.kind == "failed", "an expired retry says nothing against the address"


def test_original_recipient_is_preferred_and_xtext_decoded():
    raw = (
        (CORPUS / "postfix_failed.eml")
        .read_bytes()
        .replace(
            b"Original-Recipient: rfc822;Ana.Martin@example.org",
            b"Original-Recipient: rfc822;ana+2Bplanning@example.org",
        )
    )
    (finding,) = read_report(raw)
    assert finding.recipient == "ana+planning@example.org"


def test_a_not_spam_feedback_report_is_no_complaint():
    raw = (CORPUS / "arf_complaint.eml").read_bytes()
    assert read_report(raw.replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam")) == []


def test_a_report_for_mail_that_is_not_ours_still_names_the_recipient():
    raw = (CORPUS / "postfix_failed.eml").read_bytes()
    for ours in (b"Original-Envelope-Id: n501-1a2b3c4d\n", b"X-Ponton-Ref: n501-1a2b3c4d\n"):
        raw = raw.replace(ours, b"")
    raw = raw.replace(b"<ponton.n501-1a2b3c4d@ponton.example>", b"<other-system-1@ponton.example>")
    (finding,) = read_report(raw)
    assert (finding.kind, finding.recipient, finding.reference) == (
        "bounced",
        "ana.martin@example.org",
        None,
    )


def test_ordinary_mail_is_never_handed_to_the_heuristic_detectors():
    """A person's message quoting a qmail-like paragraph is not a bounce: only mail from a null
    reverse path or a mailer daemon is."""
    raw = (CORPUS / "qmail_failed.eml").read_bytes()
    raw = raw.replace(b"Return-Path: <>", b"Return-Path: <helene@example.com>")
    raw = raw.replace(b"From: MAILER-DAEMON@mail.example.com", b"From: helene@example.com")
    assert read_report(raw) == []


@pytest.mark.parametrize(
    ("sender", "return_path"),
    [
        ("MDaemon@mail.example.com", "<>"),
        ("Mail Delivery System <Mail.Delivery.System@mail.example.com>", "<bounces@x.example>"),
        ("Postmaster <>", "<bounces@x.example>"),
        ("relay@mail.example.com", "<MAILER-DAEMON@mail.example.com>"),
    ],
)
def test_a_bounce_from_any_machine_sender_reaches_the_detectors(sender, return_path):
    """Servers send bounces from many addresses (GNU Mailman's corpus has all of these): the null
    reverse path, written as <> or MAILER-DAEMON, or a daemon's From, marks them."""
    raw = (CORPUS / "qmail_failed.eml").read_bytes()
    raw = raw.replace(b"Return-Path: <>", f"Return-Path: {return_path}".encode())
    raw = raw.replace(b"From: MAILER-DAEMON@mail.example.com", f"From: {sender}".encode())
    assert [f.recipient for f in read_report(raw)] == ["emma.blanc@example.com"]


def test_a_commented_action_is_read_and_an_unknown_one_goes_to_the_detectors():
    """Real servers write "Action: failed (Bad destination mailbox address)" and "Action:
    failure" (both in GNU Mailman's bounce corpus)."""
    raw = (CORPUS / "postfix_failed.eml").read_bytes()
    commented = raw.replace(b"Action: failed", b"Action: failed (Bad destination mailbox address)")
    (finding,) = read_report(commented)
    assert (finding.kind, finding.event) == ("bounced", "dsn:failed")
    (finding,) = read_report(raw.replace(b"Action: failed", b"Action: failure"))
    assert (finding.kind, finding.recipient) == ("bounced", "ana.martin@example.org")
    assert (finding.event, finding.reference) == ("bounce:bounced", "n501-1a2b3c4d")
