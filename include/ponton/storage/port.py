"""The storage port: what publishing needs from any document store.

Every backend (local folder, S3, Google Drive, SharePoint/OneDrive) implements :class:`Storage` and
passes the contract suite in ``tests/contract/test_storage.py``. Backends translate vendor errors
into :mod:`ponton.errors`, retry throttling internally, and verify every upload against the
checksum they report: callers never see an HTTP status code or an unverified receipt. Optional
features are the small protocols below, discovered once with ``isinstance``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Literal, Protocol, runtime_checkable

from ponton.errors import PermanentError, TransientError

# ``sha256``/``md5``/``quickxor``: the hash the backend itself computes and reports.
# ``resumable``: large puts go in bounded chunks that survive a dropped connection.
# ``kms``: server-side encryption with a customer key.
Capability = Literal["sha256", "md5", "quickxor", "resumable", "kms"]
Algorithm = Literal["sha256", "md5", "quickxor"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a verified put returns; ``checksum`` is the backend's own hash of what it stores (in
    its algorithm), which differs from ours only where the service rewrites files it stores."""

    key: str
    remote_id: str
    remote_version_id: str | None
    sha256: str
    size: int
    algorithm: Algorithm
    checksum: str
    created: bool = True  # False when the current version already held these bytes


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """The current version of a key as the backend describes it."""

    key: str
    remote_id: str
    remote_version_id: str | None
    size: int
    content_type: str | None
    checksums: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    remote_version_id: str
    size: int
    modified_at: datetime | None = None
    checksums: Mapping[str, str] = field(default_factory=dict)


class ChecksumMismatch(TransientError):
    """The backend stored other bytes than we sent; a retry uploads again."""

    def __init__(self, backend: str, key: str, algorithm: str, expected: str, reported: str):
        super().__init__(
            f"{backend}: upload of {key!r} failed verification: {algorithm} we computed "
            f"{expected} but the backend reports {reported}; the upload is not recorded and the "
            "task will retry; if it persists, check proxies rewriting bodies or the backend"
        )


class StoredBytesChanged(PermanentError):
    """A read found other bytes than the hash recorded when they were stored (edited in place,
    disk corruption): ``ponton documents verify --repair`` publishes them again."""


class QuotaExceeded(PermanentError):
    """The target has no room left; someone must free space or raise the quota."""


class ObjectNotFound(PermanentError):
    """A get or head named a key (or version) the backend does not hold."""


@runtime_checkable
class Storage(Protocol):
    """A document store addressed by validated keys (``mission/M-1/roadmap.pdf``)."""

    name: str  # the vendor: local, s3, gdrive, sharepoint
    location: str  # the root this instance writes under (bucket/prefix, folder, drive/folder)
    capabilities: frozenset[Capability]
    algorithm: Algorithm  # the hash put() verifies against
    case_sensitive: bool  # False where "A.pdf" and "a.pdf" name the same object

    def put(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Receipt:
        """Store ``stream`` (read in bounded chunks) as the new current version of ``key``.

        Verified before it returns: a mismatch raises :class:`ChecksumMismatch`. Putting the bytes
        the current version already holds creates nothing and returns ``created=False``."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """The current version of ``key``, or None when the key does not exist."""
        ...

    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        """The bytes of the current version (or ``version_id``) in chunks."""
        ...

    def list_keys(self) -> Iterator[str]:
        """Every key stored under the root (what a drift check calls *extra* when no ledger
        row names it)."""
        ...


@runtime_checkable
class Versions(Protocol):
    """Every put of new bytes keeps the previous ones."""

    def list_versions(self, key: str) -> list[VersionInfo]:
        """Every kept version, oldest first."""
        ...


@runtime_checkable
class PrunableVersions(Protocol):
    """Old versions can be deleted one by one (retention by count or age)."""

    def delete_version(self, key: str, version_id: str) -> None: ...


@runtime_checkable
class PinnedVersions(Protocol):
    """The service purges old versions unless they are pinned (Drive's ``keepForever``):
    publishing pins the versions the ledger records and unpins those past retention."""

    def pin_version(self, key: str, version_id: str, *, keep: bool) -> None: ...


def verify_checksum(backend: str, key: str, algorithm: str, ours: str, reported: str | None) -> str:
    """The reported checksum when it matches ours; a missing or different one is an error."""
    if not reported:
        raise ChecksumMismatch(backend, key, algorithm, ours, "nothing")
    if not same_checksum(algorithm, ours, reported):
        raise ChecksumMismatch(backend, key, algorithm, ours, reported)
    return reported


def same_checksum(algorithm: str, ours: str, reported: str | None) -> bool:
    """Hex digests compare case-insensitively; quickXorHash is base64 and compares exactly."""
    if not reported:
        return False
    return reported == ours if algorithm == "quickxor" else reported.lower() == ours.lower()
