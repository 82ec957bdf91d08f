"""Header values ponton encodes itself, so every compliant reader gets the exact text back.

Python 3.11's ``policy.SMTP`` folds a non-ASCII subject into several RFC 2047 encoded words and
puts the space between two of them *outside* the words, as folding whitespace, which RFC 2047
(section 6.2) tells readers to drop: ``'… visite — »'`` came back as ``'… visite— »'`` (CPython
gh-144156, not fixed in 3.11). So:

* unstructured text (the subject): plain when it is short ASCII that cannot be mistaken for an
  encoded word; otherwise UTF-8 encoded words that carry every space *inside* them, folded only
  between words, where dropping the folding whitespace is exactly right;
* display names: quoted when ASCII; otherwise **one** encoded word, never folded (Python's
  address parser keeps the whitespace between encoded words of a phrase, compliant readers drop
  it: no split point is safe for both).

:class:`PreEncoded` carries such a value into an :class:`~email.message.EmailMessage` so that the
policy writes it as it is instead of refolding it.
"""

from __future__ import annotations

from email.charset import BASE64, Charset
from email.header import Header
from email.utils import formataddr

LINE = 76  # RFC 2047's encoded-word line, and under RFC 5322's recommended 78
# Encoded words in base64 ("B"): Python's default for UTF-8 picks the shorter of "Q" and "B"
# for every word it cuts, which costs four times as long for the same result in every reader.
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64
# A display name's single encoded word must fit RFC 5322's hard line limit (998) with the
# header name and the angle address; base64 turns 3 bytes into 4 characters.
MAX_ENCODED_NAME_BYTES = 600


class PreEncoded(str):
    """A header value already encoded and folded by ponton: written verbatim by the policy."""

    name: str

    def __new__(cls, name: str, value: str) -> PreEncoded:
        obj = super().__new__(cls, value)
        obj.name = name
        return obj

    def fold(self, *, policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def _plain_safe(text: str) -> bool:
    return text.isascii() and "=?" not in text


def encode_text(name: str, text: str) -> PreEncoded:
    """An unstructured header (``Subject``) that unfolds and decodes to exactly ``text``."""
    if _plain_safe(text) and len(name) + 2 + len(text) <= LINE:
        return PreEncoded(name, text)
    encoded = Header(text, _UTF8, header_name=name).encode(linesep="\r\n", maxlinelen=LINE)
    return PreEncoded(name, encoded.lstrip())


def encode_name(display_name: str) -> str:
    """A display name as one quoted string (ASCII) or one encoded word (anything else)."""
    if _plain_safe(display_name):
        return formataddr((display_name, "x@x")).rpartition(" <")[0]
    return _UTF8.header_encode(display_name)


def encode_addresses(name: str, addresses: list[tuple[str, str]]) -> PreEncoded:
    """An address header (``From``, ``To``, ``Cc``, ``Reply-To``): one mailbox per line, each
    display name encoded whole; ``addresses`` are (display name, address) pairs."""
    mailboxes = [f"{encode_name(n)} <{a}>" if n else a for n, a in addresses]
    return PreEncoded(name, ",\r\n ".join(mailboxes))
