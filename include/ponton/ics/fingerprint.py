"""A whole-feed fingerprint, so an unchanged feed is recognised without parsing it.

Google regenerates DTSTAMP on every download of a secret iCal address and servers vary PRODID and
line endings; none of that is a change. The hash covers the unfolded content lines minus those, so
the integrator can store it in ``calendar_bindings.feed_hash`` and skip the parse when it matches.
"""

from __future__ import annotations

import hashlib
import re

# Lines that change on every download without any event changing.
_NOISE = re.compile(rb"^(DTSTAMP|PRODID|X-WR-CALDESC|X-PUBLISHED-TTL|REFRESH-INTERVAL)[;:]", re.I)
_FOLD = re.compile(rb"\r?\n[ \t]")


_NOISE_LINES = re.compile(
    rb"^(?:DTSTAMP|PRODID|X-WR-CALDESC|X-PUBLISHED-TTL|REFRESH-INTERVAL)[;:][^\n]*\n?", re.M | re.I
)


def block_digest(chunk: bytes) -> str:
    """Digest of one component block, ignoring the same noise as :func:`feed_hash`."""
    text = _FOLD.sub(b"", chunk).replace(b"\r\n", b"\n")
    return hashlib.blake2b(_NOISE_LINES.sub(b"", text), digest_size=16).hexdigest()


def feed_hash(data: bytes) -> str:
    """SHA-256 of ``data`` with folding undone, line endings unified and noise lines dropped."""
    digest = hashlib.sha256()
    for line in _FOLD.sub(b"", data).splitlines():
        if line and not _NOISE.match(line):
            digest.update(line.rstrip())
            digest.update(b"\n")
    return digest.hexdigest()
