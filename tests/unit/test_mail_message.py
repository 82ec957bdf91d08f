from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ponton.errors import InvalidInputError
from ponton.mail.message import (
    MAX_SUBJECT_CHARS,
    Address,
    Attachment,
    OutgoingMail,
    header_text,
    message_reference,
    notification_id_from_reference,
    reference_from_message_id,
)

pytestmark = pytest.mark.unit
SENDER = Address("planning@ponton.example", "Planning ponton")


def mail(**changes) -> OutgoingMail:
    fields = {
        "reference": message_reference(42, datetime(2026, 3, 16, tzinfo=UTC)),
        "sender": SENDER,
        "to": (Address.parse("chloe.dubois@example.com", "Chloé Dubois"),),
        "subject": "Votre planning",
        "text": "Bonjour\n",
        "html": "<p>Bonjour</p>",
        "notification_id": 42,
    }
    return OutgoingMail(**(fields | changes))


def parsed(message: OutgoingMail):
    return message_from_bytes(message.to_mime().as_bytes(), policy=policy.default)


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "a@b", "chloé@exämple.com", "a@example.com\r\nBcc: x@evil.test", ""],
)
def test_invalid_addresses_are_refused_with_the_address_named(address):
    with pytest.raises(InvalidInputError, match="recipient address"):
        Address.parse(address)


def test_international_domains_become_punycode_and_names_are_cleaned():
    address = Address.parse("info@exämple.com", "Chloé\r\nBcc: evil@x.test")
    assert address.email == "info@xn--exmple-cua.com"
    assert address.name == "Chloé Bcc: evil@x.test"


def test_header_injection_in_a_subject_is_neutralised():
    subject = header_text("Planning\r\nBcc: evil@attacker.test\r\n\r\nbody", "subject", 998)
    assert subject == "Planning Bcc: evil@attacker.test body"
    msg = parsed(mail(subject=subject))
    assert msg["Bcc"] is None
    assert str(msg["Subject"]) == subject


def test_a_message_built_around_the_helpers_still_refuses_line_breaks():
    with pytest.raises(InvalidInputError, match="header injection"):
        mail(subject="Hello\nBcc: evil@attacker.test")
    with pytest.raises(InvalidInputError, match="header injection"):
        Address("a@example.com", "Name\rX-Evil: 1")


def test_a_one_megabyte_subject_is_refused_not_truncated():
    with pytest.raises(InvalidInputError, match="1,000,000 characters"):
        header_text("x" * 1_000_000, "subject", MAX_SUBJECT_CHARS)
    with pytest.raises(InvalidInputError, match="over 998"):
        mail(subject="x" * 1000)


def test_utf8_headers_are_encoded_words_and_decode_back():
    message = mail(subject="Réunion « chantier » — 30 €")
    raw = message.to_mime().as_bytes()
    assert raw.isascii(), "headers and bodies travel as 7-bit"
    msg = message_from_bytes(raw, policy=policy.default)
    assert str(msg["Subject"]) == "Réunion « chantier » — 30 €"
    assert msg["To"].addresses[0].display_name == "Chloé Dubois"


def test_long_subjects_are_folded_within_the_line_limit():
    message = mail(subject="Planning de la semaine " * 40)
    lines = message.to_mime().as_bytes().split(b"\r\n")
    assert max(len(line) for line in lines) <= 998


def test_mime_is_alternative_text_then_html_and_mixed_with_attachments():
    plain = parsed(mail())
    assert plain.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in plain.iter_parts()] == ["text/plain", "text/html"]
    with_pdf = parsed(mail(attachments=(Attachment("r.pdf", "application/pdf", b"%PDF-1.7"),)))
    assert with_pdf.get_content_type() == "multipart/mixed"
    (attachment,) = with_pdf.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content()) == ("r.pdf", b"%PDF-1.7")
    assert sum(1 for p in with_pdf.walk() if p["MIME-Version"]) == 1


def test_message_id_carries_the_reference_and_notification_id():
    message = mail()
    assert message.message_id == f"<ponton.{message.reference}@ponton.example>"
    assert reference_from_message_id(message.message_id) == message.reference
    assert notification_id_from_reference(message.reference) == 42
    assert parsed(message)["Message-ID"] == message.message_id
    assert message.tags == {"ponton_ref": message.reference, "ponton_notification_id": "42"}


def test_references_differ_when_a_database_is_recreated():
    first = message_reference(1, datetime(2026, 1, 1, tzinfo=UTC))
    again = message_reference(1, datetime(2026, 6, 1, tzinfo=UTC))
    assert first != again and first.startswith("n1-")


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b.pdf", "..", "x\n.pdf"])
def test_attachment_names_must_be_plain_file_names(name):
    with pytest.raises(InvalidInputError):
        Attachment(name, "application/pdf", b"")


def test_oversized_attachments_are_refused():
    big = Attachment("big.bin", "application/octet-stream", b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(InvalidInputError, match="link to the document"):
        mail(attachments=(big,))


@settings(deadline=None)  # builds MIME messages: slow under coverage
@given(st.text(max_size=300))
def test_any_subject_text_becomes_one_safe_header_line(text):
    subject = header_text(text, "subject", MAX_SUBJECT_CHARS)
    assert "\r" not in subject and "\n" not in subject
    msg = parsed(mail(subject=subject))
    # lstrip(): a fold right after "Subject:" leaves a space Python's parser keeps (clients drop it)
    assert str(msg["Subject"] or "").lstrip() == subject
    assert msg["Bcc"] is None
