"""The remote-calendar port: what the sync engine needs from any external calendar.

Every adapter (ICS feed, CalDAV, Google Calendar, Outlook) implements :class:`RemoteCalendar` and
passes the contract suite in ``tests/contract/test_remote_calendar.py``. Adapters translate vendor
errors into :mod:`ponton.errors` (``PreconditionFailed`` for a stale etag, ``ThrottledError`` for
429, ``ReauthorizationRequired`` for revoked credentials, ``ConfigError`` for a wrong calendar id),
page, batch and retry internally: callers never see an HTTP status code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from ponton.model import Event

Capability = Literal["read", "write", "incremental", "batch", "push"]


@dataclass(frozen=True, slots=True)
class RemoteEvent:
    """An event as the remote calendar holds it."""

    remote_id: str
    event: Event
    etag: str | None = None
    # The platform uid this event was written for (Google private extendedProperty, Graph
    # extension, or the iCalendar UID itself for ICS/CalDAV); None for foreign events.
    platform_uid: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What ``list_changes`` returns.

    ``full`` means ``events`` is the whole calendar inside the window (anything not listed is gone);
    otherwise ``events`` holds only what changed since ``cursor`` and ``deleted`` the removed ids.
    ``cursor`` is the value to pass next time (sync token, delta link, feed etag), or None.
    """

    events: Sequence[RemoteEvent]
    full: bool
    cursor: str | None = None
    deleted: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RemoteWrite:
    """One write for ``apply_writes``: ``create`` needs ``event``/``platform_uid``; ``update`` and
    ``delete`` need ``remote_id`` (and ``etag`` to guard against a concurrent edit)."""

    op: Literal["create", "update", "delete"]
    platform_uid: str
    event: Event | None = None
    remote_id: str | None = None
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    write: RemoteWrite
    remote: RemoteEvent | None = None  # the stored event after create/update
    error: Exception | None = None  # a ponton error for this write alone (batch partial failure)


@runtime_checkable
class RemoteCalendar(Protocol):
    """An external calendar bound to a platform resource.

    Adapters that read iCalendar data may also expose ``last_errors`` (the components the last
    listing had to leave out, each message naming it) and ``last_parsed`` (with ``replies`` from
    a METHOD:REPLY calendar); the engine journals the first and applies the second.
    """

    capabilities: frozenset[Capability]

    def list_changes(self, cursor: str | None, start: datetime, end: datetime) -> ChangeSet:
        """Events overlapping [start, end): incremental from ``cursor`` when the adapter supports
        it, else a full listing. An expired cursor yields a full listing, never an error."""
        ...

    def find(self, platform_uid: str) -> RemoteEvent | None:
        """The event written for ``platform_uid``, if any (crash recovery: no duplicate create)."""
        ...

    def apply_writes(self, writes: Sequence[RemoteWrite]) -> list[WriteResult]:
        """Apply writes, batched where the API allows, one result per write in order.

        ``create`` is idempotent: creating a platform uid that already exists returns the existing
        event. ``update``/``delete`` with a stale etag give ``PreconditionFailed`` in that write's
        result; deleting an event that is already gone succeeds."""
        ...
