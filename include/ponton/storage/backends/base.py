"""The invariant every backend shares, written once: a verified put.

``put`` always runs *current state → upload → read back → verify*: the bytes are hashed first (in
the backend's algorithm and SHA-256), an object already holding them is left alone, otherwise the
vendor upload runs, the stored object is read back and its reported hash compared with ours. A
backend implements only the vendor steps (``head``, ``_upload``, ``_read_back``, ``_translate``)
and may refine ``_verify`` where the service's hash cannot match ours (SharePoint's rewriting of
Office files). Vendor calls go through ``_call``: retried with the one policy of
:mod:`ponton.retry`, vendor errors translated in one place per backend.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO, ClassVar, TypeVar

from ponton.errors import PontonError
from ponton.retry import RetryPolicy
from ponton.storage.hashing import Digests
from ponton.storage.keys import KeyRules, validate_key
from ponton.storage.port import Algorithm, ObjectInfo, Receipt, same_checksum, verify_checksum
from ponton.storage.streams import prehash

T = TypeVar("T")


class VerifiedStorage(ABC):
    """Base of every storage backend: the verified put, retries and error translation."""

    name: ClassVar[str]
    algorithm: ClassVar[Algorithm]
    rules: ClassVar[KeyRules]
    case_sensitive: ClassVar[bool] = True

    def __init__(self, *, retry: RetryPolicy | None = None) -> None:
        self.retry = retry or RetryPolicy()

    def put(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Receipt:
        key = validate_key(key, self.rules)
        ours = prehash(stream, self.algorithm, key)
        current = self.head(key)
        if current is not None and self._holds(current, ours):
            return self._receipt(key, current, ours, created=False)
        uploaded = self._upload(
            key,
            stream,
            ours,
            content_type=content_type,
            metadata={**(metadata or {}), "sha256": ours.sha256},
            current=current,
        )
        stored = self._read_back(key, uploaded)
        self._verify(key, ours, stored, content_type=content_type)
        return self._receipt(key, stored, ours, created=True)

    # -- vendor steps ----------------------------------------------------------------------------
    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None: ...

    @abstractmethod
    def _upload(
        self,
        key: str,
        stream: BinaryIO,
        ours: Digests,
        *,
        content_type: str,
        metadata: dict[str, str],
        current: ObjectInfo | None,
    ) -> Any:
        """Send the bytes; returns whatever ``_read_back`` needs (a vendor response)."""

    def _read_back(self, key: str, uploaded: Any) -> ObjectInfo:
        """The stored object as the service now describes it (default: a fresh ``head``)."""
        stored = self.head(key)
        if stored is None:
            from ponton.storage.port import ChecksumMismatch

            raise ChecksumMismatch(self.name, key, self.algorithm, "an object", "nothing stored")
        return stored

    def _translate(self, exc: Exception, what: str) -> PontonError | None:
        """The ponton error for a vendor exception, or None to let it propagate unchanged."""
        return None

    # -- shared rules ----------------------------------------------------------------------------
    def _holds(self, current: ObjectInfo, ours: Digests) -> bool:
        return same_checksum(self.algorithm, ours.checksum, current.checksums.get(self.algorithm))

    def _verify(self, key: str, ours: Digests, stored: ObjectInfo, *, content_type: str) -> None:
        verify_checksum(
            self.name, key, self.algorithm, ours.checksum, stored.checksums.get(self.algorithm)
        )

    def _receipt(self, key: str, stored: ObjectInfo, ours: Digests, *, created: bool) -> Receipt:
        return Receipt(
            key=key,
            remote_id=stored.remote_id,
            remote_version_id=stored.remote_version_id,
            sha256=ours.sha256,
            size=ours.size,
            algorithm=self.algorithm,
            checksum=stored.checksums.get(self.algorithm) or ours.checksum,
            created=created,
        )

    def _call(self, what: str, call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """One vendor call, retried on transient errors and translated once."""
        for attempt in self.retry.retrying():
            with attempt:
                try:
                    return call(*args, **kwargs)
                except PontonError:
                    raise
                except Exception as exc:
                    translated = self._translate(exc, what)
                    if translated is None:
                        raise
                    raise translated from exc
        raise AssertionError("unreachable: tenacity reraises")
