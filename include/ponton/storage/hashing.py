"""Hashes computed while a stream is read once: our SHA-256 and whatever the backend reports.

``quickXorHash`` is OneDrive/SharePoint's own hash (160-bit, each byte XOR-ed in at a position
advancing 11 bits, then the length XOR-ed into the last 8 bytes), documented at
https://learn.microsoft.com/onedrive/developer/code-snippets/quickxorhash.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import BinaryIO

CHUNK = 1024 * 1024
_WIDTH = 160
_MASK = (1 << _WIDTH) - 1


class QuickXorHash:
    """Streaming quickXorHash: bytes 160 apart share a bit position, so each chunk is folded
    into one 160-byte row first and only that row is shifted in (fast enough for large files)."""

    def __init__(self) -> None:
        self._acc = 0
        self._length = 0

    def update(self, data: bytes) -> None:
        if not data:
            return
        offset = self._length % _WIDTH
        padded = bytes(offset) + data
        padded += bytes(-len(padded) % _WIDTH)
        row = 0
        for start in range(0, len(padded), _WIDTH):
            row ^= int.from_bytes(padded[start : start + _WIDTH], "little")
        folded = row.to_bytes(_WIDTH, "little")
        acc = self._acc
        for position, byte in enumerate(folded):
            if byte:
                shift = (position * 11) % _WIDTH
                value = byte << shift
                acc ^= (value | (value >> _WIDTH)) & _MASK
        self._acc = acc
        self._length += len(data)

    def digest(self) -> bytes:
        out = bytearray(self._acc.to_bytes(20, "little"))
        for i, byte in enumerate(self._length.to_bytes(8, "little")):
            out[12 + i] ^= byte
        return bytes(out)

    def b64digest(self) -> str:
        return base64.b64encode(self.digest()).decode()


class Digests:
    """SHA-256 always, plus the backend's algorithm, updated in one pass."""

    def __init__(self, algorithm: str = "sha256") -> None:
        self.algorithm = algorithm
        self.size = 0
        self._sha256 = hashlib.sha256()
        self._other = {"md5": hashlib.md5, "quickxor": QuickXorHash}.get(algorithm, lambda: None)()

    def update(self, data: bytes) -> None:
        self.size += len(data)
        self._sha256.update(data)
        if self._other is not None:
            self._other.update(data)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    @property
    def checksum(self) -> str:
        """Ours, in the backend's notation: hex for sha256/md5, base64 for quickxor."""
        if self.algorithm == "sha256":
            return self.sha256
        if self.algorithm == "md5":
            return self._other.hexdigest()
        return self._other.b64digest()


def chunks(stream: BinaryIO, size: int = CHUNK) -> Iterable[bytes]:
    while block := stream.read(size):
        yield block


def digest_stream(stream: BinaryIO, algorithm: str = "sha256") -> Digests:
    digests = Digests(algorithm)
    for block in chunks(stream):
        digests.update(block)
    return digests


def digest_bytes(data: bytes, algorithm: str = "sha256") -> Digests:
    digests = Digests(algorithm)
    digests.update(data)
    return digests
