"""The mail-provider contract: one suite that every backend of the port runs.

Subclass :class:`MailProviderContract` in ``tests/contract/test_<backend>_mail.py`` and provide:

* ``provider``: the backend class built directly on a fresh peer (no Airflow connection);
* ``hooked``: the same backend as the DAGs get it, through the hook and an Airflow connection;
* ``peer``: the other side, with ``seen()`` (what recipients would get: to, to_name, subject,
  text, html, reference, message_id, attachments), ``refuse_next(permanent, times=1)`` (the peer
  refuses the next messages the way the real service does), and for providers with ``events``
  or ``webhooks`` ``deliver(receipt, at)`` (the recipient's server accepts it) and
  ``delivery_post(receipt, at, forged=False)`` (the webhook post reporting it, or a forgery).
  Optional features are protocols (``StatusLookup``, ``StatusPull``, ``WebhookReader``): the
  suite skips by capability;
* ``unreachable``: the same provider pointed at a port where nothing listens.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader, PdfWriter

from ponton.errors import (
    OutcomeUnknown,
    PermanentError,
    TransientError,
    WebhookForbidden,
    WebhookUnauthenticated,
)
from ponton.mail.message import Address, Attachment, OutgoingMail, message_reference
from ponton.mail.port import MailProvider, StatusLookup, StatusPull, WebhookReader

SUBJECT = "Planning — semaine 12 « chantier » ✓"


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sample_mail(sender: Address, nid: int = 7, **changes) -> OutgoingMail:
    fields = {
        "reference": message_reference(nid, datetime(2026, 3, 16, 9, tzinfo=UTC)),
        "sender": sender,
        "to": (Address("chloe.dubois@example.com", "Chloé Dubois"),),
        "subject": SUBJECT,
        "text": "Bonjour Chloé,\nvotre planning est joint.\n",
        "html": "<p>Bonjour Chloé,<br>votre planning est <strong>joint</strong>.</p>",
        "notification_id": nid,
    }
    return OutgoingMail(**(fields | changes))


def _lines(text: str) -> str:
    """Bodies as the recipient reads them: MIME carries CRLF, APIs carry what they were given."""
    return text.replace("\r\n", "\n").strip()


class MailProviderContract:
    def test_is_a_mail_provider_with_a_sender(self, provider):
        assert isinstance(provider, MailProvider)
        assert provider.name in ("local", "smtp", "sendgrid", "postmark")
        assert "@" in provider.sender.email

    def test_the_hook_builds_the_same_backend_from_the_connection(self, provider, hooked, peer):
        assert type(hooked) is type(provider)
        assert hooked.sender == provider.sender
        hooked.send(sample_mail(hooked.sender))
        assert len(peer.seen()) == 1
        assert hooked.check_access()

    def test_a_message_from_another_sender_is_refused_before_any_io(self, provider, peer):
        with pytest.raises(PermanentError, match="sends as"):
            provider.send(sample_mail(Address("someone@elsewhere.example")))
        assert peer.seen() == []

    def test_send_returns_the_provider_id_and_the_acceptance_time(self, provider):
        before = datetime.now(UTC) - timedelta(seconds=5)
        receipt = provider.send(sample_mail(provider.sender))
        assert receipt.provider_message_id
        assert before <= receipt.accepted_at <= datetime.now(UTC) + timedelta(seconds=5)
        assert receipt.status in ("queued", "sent", "delivered")

    def test_recipient_gets_text_and_html_with_utf8_subject_and_name(self, provider, peer):
        message = sample_mail(provider.sender)
        provider.send(message)
        (seen,) = peer.seen()
        assert seen["to"] == "chloe.dubois@example.com"
        assert seen["to_name"] == "Chloé Dubois"
        assert seen["subject"] == SUBJECT
        assert _lines(seen["text"]) == _lines(message.text)
        assert _lines(seen["html"]) == _lines(message.html)

    def test_our_reference_travels_with_the_message(self, provider, peer):
        message = sample_mail(provider.sender)
        provider.send(message)
        (seen,) = peer.seen()
        assert seen["reference"] == message.reference
        assert seen["message_id"] == message.message_id

    def test_a_pdf_attachment_arrives_byte_for_byte(self, provider, peer):
        data = pdf_bytes(2)
        provider.send(
            sample_mail(
                provider.sender, attachments=(Attachment("roadmap.pdf", "application/pdf", data),)
            )
        )
        (seen,) = peer.seen()
        assert seen["attachments"] == [("roadmap.pdf", "application/pdf", data)]
        assert len(PdfReader(io.BytesIO(seen["attachments"][0][2])).pages) == 2

    def test_a_permanent_refusal_is_a_permanent_error(self, provider, peer):
        peer.refuse_next(permanent=True)
        with pytest.raises(PermanentError):
            provider.send(sample_mail(provider.sender))
        assert peer.seen() == []

    def test_a_passing_temporary_refusal_is_retried_and_sent_once(self, provider, peer):
        peer.refuse_next(permanent=False)
        provider.send(sample_mail(provider.sender))
        assert len(peer.seen()) == 1

    def test_a_lasting_temporary_refusal_is_transient_and_nothing_is_taken(self, provider, peer):
        peer.refuse_next(permanent=False, times=20)
        with pytest.raises(TransientError) as caught:
            provider.send(sample_mail(provider.sender))
        assert not isinstance(caught.value, OutcomeUnknown), "the peer said no: safe to resend"
        assert peer.seen() == []

    def test_an_unreachable_provider_is_transient_not_unknown(self, unreachable):
        with pytest.raises(TransientError) as caught:
            unreachable.send(sample_mail(unreachable.sender))
        assert not isinstance(caught.value, OutcomeUnknown)

    def test_find_tells_sent_from_never_sent(self, provider):
        if not isinstance(provider, StatusLookup):
            pytest.skip(f"{provider.name} cannot look a message up")
        sent = sample_mail(provider.sender, nid=11)
        receipt = provider.send(sent)
        found = provider.find(sent.reference)
        assert found is not None
        assert found.provider_message_id.split(".")[0] == receipt.provider_message_id.split(".")[0]
        assert provider.find(sample_mail(provider.sender, nid=12).reference) is None

    def test_status_pull_reports_delivery_with_our_notification_id(self, provider, peer):
        if not isinstance(provider, StatusPull):
            pytest.skip(f"{provider.name} offers no status pull")
        receipt = provider.send(sample_mail(provider.sender, nid=21))
        delivered_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        peer.deliver(receipt, delivered_at)
        page = provider.fetch_events(None)
        delivered = [e for e in page.events if e.kind == "delivered"]
        assert delivered, page.events
        assert all(e.provider == provider.name for e in page.events)
        assert delivered[0].notification_id == 21 or delivered[0].provider_message_id.startswith(
            receipt.provider_message_id
        )
        again = provider.fetch_events(page.cursor)
        assert {e.provider_event_id for e in again.events} <= {
            e.provider_event_id for e in page.events
        }

    def test_webhook_post_is_verified_then_read(self, provider, peer):
        if not isinstance(provider, WebhookReader):
            pytest.skip(f"{provider.name} sends no webhooks")
        receipt = provider.send(sample_mail(provider.sender, nid=31))
        at = datetime.now(UTC).replace(microsecond=0)
        body, headers = peer.delivery_post(receipt, at)
        (event,) = provider.parse_webhook(body, headers)
        assert (event.kind, event.notification_id, event.occurred_at) == ("delivered", 31, at)

    def test_webhook_post_without_credentials_or_with_forged_ones_is_refused(self, provider, peer):
        if not isinstance(provider, WebhookReader):
            pytest.skip(f"{provider.name} sends no webhooks")
        receipt = provider.send(sample_mail(provider.sender, nid=32))
        body, headers = peer.delivery_post(receipt, datetime.now(UTC), forged=True)
        with pytest.raises(WebhookForbidden):
            provider.parse_webhook(body, headers)
        with pytest.raises(WebhookUnauthenticated):
            provider.parse_webhook(body, {"Content-Type": "application/json"})

    def test_status_pull_pages_to_the_end_and_resumes_after_a_crash_between_pages(
        self, paged, peer
    ):
        """``paged``: the backend with pages of two messages. A caller that stored the first
        page's cursor and died resumes from it and still sees every delivery."""
        if not isinstance(paged, StatusPull):
            pytest.skip(f"{paged.name} offers no status pull")
        now = datetime.now(UTC).replace(microsecond=0)
        sent = set()
        for i in range(5):
            receipt = paged.send(sample_mail(paged.sender, nid=40 + i))
            peer.deliver(receipt, now - timedelta(minutes=10 * i))
            sent.add(receipt.provider_message_id.split(".")[0])

        def delivered(events) -> set[str]:
            # by the provider's id: the activity search does not echo our custom args
            return {e.provider_message_id.split(".")[0] for e in events if e.kind == "delivered"}

        first = paged.fetch_events(None)
        assert first.more, "five messages do not fit one page of two"
        cursor, seen, pages, more = first.cursor, delivered(first.events), 1, True
        while more:  # the run after a crash that followed storing the first page's cursor
            page = paged.fetch_events(cursor)
            seen |= delivered(page.events)
            cursor, more, pages = page.cursor, page.more, pages + 1
            assert pages < 30, "paging never ends"
        assert seen == sent

    def test_a_replayed_stale_webhook_post_is_refused(self, provider, peer):
        if not isinstance(provider, WebhookReader):
            pytest.skip(f"{provider.name} sends no webhooks")
        receipt = provider.send(sample_mail(provider.sender, nid=33))
        body, headers = peer.stale_post(receipt, timedelta(hours=2))
        with pytest.raises(WebhookForbidden, match="freshness"):
            provider.parse_webhook(body, headers)

    def test_webhook_events_arriving_out_of_order_keep_their_own_times(self, provider, peer):
        if not isinstance(provider, WebhookReader):
            pytest.skip(f"{provider.name} sends no webhooks")
        receipt = provider.send(sample_mail(provider.sender, nid=34))
        late, early = (
            datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=m) for m in (1, 5)
        )
        (newer,) = provider.parse_webhook(*peer.delivery_post(receipt, late))
        (older,) = provider.parse_webhook(*peer.delivery_post(receipt, early))
        assert (newer.occurred_at, older.occurred_at) == (late, early)

    def test_several_recipients_get_one_message_with_cc_shown_and_bcc_hidden(self, provider, peer):
        message = sample_mail(
            provider.sender,
            to=(Address("ana@example.com", "Ana"), Address("bruno@example.com")),
            cc=(Address("chloe@example.com", "Chloé Dubois"),),
            bcc=(Address("audit@example.com"),),
            reply_to=Address("planning-team@example.com", "Équipe planning"),
        )
        provider.send(message)
        (seen,) = peer.seen()
        assert seen["to_all"] == ["ana@example.com", "bruno@example.com"]
        assert seen["cc"] == ["chloe@example.com"]
        assert seen["reply_to"] == "planning-team@example.com"
        assert not seen.get("bcc_header"), "a Bcc recipient never shows in a header"
        if seen["recipients"] is not None:  # peers that see the envelope
            assert sorted(seen["recipients"]) == sorted(a.email for a in message.recipients)

    def test_more_recipients_than_the_provider_takes_are_refused_before_any_io(
        self, provider, peer
    ):
        if provider.max_recipients is None:
            pytest.skip(f"{provider.name} takes any number of recipients")
        count = provider.max_recipients + 1
        crowd = tuple(Address(f"person{i}@example.com") for i in range(count))
        with pytest.raises(PermanentError, match=f"{count} recipients.*split it"):
            provider.send(sample_mail(provider.sender, to=crowd[:1], cc=crowd[1:]))
        assert peer.seen() == []
        provider.send(sample_mail(provider.sender, to=crowd[:1], cc=crowd[1:-1]))
        assert len(peer.seen()) == 1, "the provider takes exactly its limit"

    def test_webhook_events_name_the_recipient_they_concern(self, provider, peer):
        if not isinstance(provider, WebhookReader):
            pytest.skip(f"{provider.name} sends no webhooks")
        two = (Address("ana@example.com"), Address("bruno@example.com"))
        receipt = provider.send(sample_mail(provider.sender, nid=35, to=two))
        at = datetime.now(UTC).replace(microsecond=0)
        body, headers = peer.delivery_post(receipt, at, recipient="bruno@example.com")
        (event,) = provider.parse_webhook(body, headers)
        assert (event.kind, event.recipient, event.notification_id) == (
            "delivered",
            "bruno@example.com",
            35,
        )

    def test_status_pull_reports_each_recipient(self, provider, peer):
        if not isinstance(provider, StatusPull) or provider.name == "local":
            pytest.skip(f"{provider.name} reports no per-recipient status")
        two = (Address("ana@example.com"), Address("bruno@example.com"))
        receipt = provider.send(sample_mail(provider.sender, nid=36, to=two))
        at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        peer.deliver(receipt, at, recipient="bruno@example.com")
        page = provider.fetch_events(None)
        delivered = {e.recipient for e in page.events if e.kind == "delivered"}
        assert delivered == {"bruno@example.com"}
