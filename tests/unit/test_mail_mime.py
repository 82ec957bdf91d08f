"""ponton's MIME policy writes the same bytes as ``policy.SMTP``, only cheaper."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ponton.mail.mime import SMTP

LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x85", ""])
TEXT = st.lists(st.one_of(st.text(max_size=120), LINE_ENDS), max_size=30).map("".join)


def built(text: str, html: str | None, attachment: bytes | None, with_policy) -> bytes:
    msg = EmailMessage(policy=with_policy)
    msg["Subject"] = "x"
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="a.pdf")
    multiparts = [part for part in msg.walk() if part.is_multipart()]
    for number, part in enumerate(multiparts):
        part.set_boundary(f"boundary-{number}")  # the only random part of the bytes
    return msg.as_bytes()


@given(text=TEXT, html=st.none() | TEXT, attachment=st.none() | st.binary(max_size=300))
@example(text="a" * 200 + " \n.\nFrom x\t\n=", html=None, attachment=None)
@example(text="é" * 80 + "\r\n\r\n", html="<p>é</p>", attachment=b"\x00\xff")
def test_messages_are_byte_for_byte_those_of_the_standard_policy(text, html, attachment):
    ours = built(text, html, attachment, SMTP)
    assert ours == built(text, html, attachment, policy.SMTP)


def test_text_in_another_charset_or_encoding_is_refused():
    msg = EmailMessage(policy=SMTP)
    with pytest.raises(ValueError, match="UTF-8 quoted-printable"):
        msg.set_content("x", charset="latin-1")
