"""Stream helpers shared by the cloud backends: hash first (to skip unchanged bytes), then upload
in bounded parts so memory stays at one part whatever the file size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from ponton.errors import InvalidInputError
from ponton.storage.hashing import Digests, digest_stream


def prehash(stream: BinaryIO, algorithm: str, key: str) -> Digests:
    """Digests of the whole stream, rewound afterwards; the stream must be seekable because a
    backend compares the hash with the current version *before* sending anything."""
    if not stream.seekable():
        raise InvalidInputError(
            f"upload of {key!r} needs a seekable stream (a file or BytesIO) so it can be hashed "
            "before sending; spool it to a temporary file first"
        )
    start = stream.tell()
    digests = digest_stream(stream, algorithm)
    stream.seek(start)
    return digests


def parts(stream: BinaryIO, size: int) -> Iterator[bytes]:
    """Blocks of exactly ``size`` bytes (the last one shorter); at least one, maybe empty."""
    first = True
    while True:
        block = stream.read(size)
        while block and len(block) < size:
            more = stream.read(size - len(block))
            if not more:
                break
            block += more
        if block or first:
            yield block
        if len(block) < size:
            return
        first = False
