"""Subjects and display names come back exactly, through a real parser (``email.parser`` with
``policy.default``), from the bytes the SMTP backend sends (and local capture writes).

Python 3.11's ``policy.SMTP`` altered about 1,700 of 20,000 random French subjects (CPython
gh-144156): the space between two encoded words became folding whitespace, which readers drop.
The property runs 20,000 examples: with real randomness locally, a fixed derandomized corpus in CI
(``tests/conftest.py``); every failure found is kept below as an ``@example``.
"""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ponton.errors import InvalidInputError
from ponton.mail.backends.smtp import SmtpBackend, SmtpOptions
from ponton.mail.message import (
    MAX_NAME_CHARS,
    MAX_SUBJECT_CHARS,
    Address,
    OutgoingMail,
    header_text,
)
from tests.fakes.smtp_server import SENDER

pytestmark = pytest.mark.slow

SCRIPTS = {
    "french": "abcdefghijklmnopqrstuvwxyzàâæçéèêëîïôœùûüÿÀÉÈÇŒ'\u2019«»—\u2013…",
    "ascii": 'ABCXYZ0123456789!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~',
    "cyrillic": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "cjk": "日本語中文字漢字テストかなカナ한국어",
    "emoji": "🎉✓✗☕🚀👩‍💻",
}
WORD = st.text(alphabet="".join(SCRIPTS.values()), min_size=1, max_size=12)
TEXT = st.lists(st.one_of(WORD, st.sampled_from(["=?utf-8?q?x?=", "=?", "?=", "—", "»", "«"])))
SMTP = SmtpBackend(options=SmtpOptions(sender=SENDER, host="unused"))


def sent(subject: str, name: str) -> bytes:
    """The bytes the SMTP backend hands the relay for this subject and display name."""
    message = OutgoingMail(
        reference="n1-0123abcd",
        sender=Address(SENDER.email, name),
        to=(Address("chloe.dubois@example.com", name),),
        subject=subject,
        text="Bonjour\n",
    )
    return SMTP.build_payload(message)


@settings(max_examples=20_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject_words=TEXT, name_words=TEXT)
@example(subject_words=["Planning", "de", "la", "visite", "—", "»"], name_words=["Chloé"])
@example(subject_words=["=?utf-8?q?x?="], name_words=["=?utf-8?q?x?="])
@example(subject_words=["é" * 12] * 40, name_words=["日本語"] * 16)
def test_random_subjects_and_display_names_come_back_exactly(subject_words, name_words):
    subject = header_text(" ".join(subject_words), "subject", MAX_SUBJECT_CHARS)
    # 150 characters: even four-byte ones stay within one encoded word on one header line
    name = header_text(" ".join(name_words)[:150], "name", MAX_NAME_CHARS)
    raw = sent(subject, name)
    msg = message_from_bytes(raw, policy=policy.default)
    assert str(msg["Subject"] or "") == subject
    assert msg["To"].addresses[0].display_name == name
    assert msg["From"].addresses[0].display_name == name
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_a_short_ascii_subject_and_name_stay_readable_in_the_raw_message():
    raw = sent("Planning semaine 12", "Chloe Dubois")
    assert b"\r\nSubject: Planning semaine 12\r\n" in raw
    assert b"\r\nTo: Chloe Dubois <chloe.dubois@example.com>\r\n" in raw


def test_a_display_name_too_long_for_one_header_line_is_refused():
    with pytest.raises(InvalidInputError, match="too long for one header line"):
        Address("a@example.com", "🎉" * MAX_NAME_CHARS)
