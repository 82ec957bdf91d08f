"""The remote-calendar port: what the sync engine needs from any external calendar.

Every adapter (ICS feed, CalDAV, Google Calendar, Outlook) implements :class:`RemoteCalendar` and
passes the contract suite in ``tests/contract/remote_calendar.py``. Adapters translate vendor
errors into :mod:`ponton.errors` (``PreconditionFailed`` for a stale etag, ``ThrottledError`` for
429, ``ReauthorizationRequired`` for revoked credentials, ``ConfigError`` for a wrong calendar id),
page, batch and retry internally: callers never see an HTTP status code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from ponton.model import Event

if TYPE_CHECKING:
    from ponton.ics.parse import ParsedCalendar

Capability = Literal["read", "write", "incremental"]


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
    ``full_reason`` says why a backend that was given a cursor listed in full anyway, when it
    was not that the cursor expired.
    """

    events: Sequence[RemoteEvent]
    full: bool
    cursor: str | None = None
    deleted: Sequence[str] = field(default_factory=tuple)
    full_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteWrite:
    """One write for ``apply_writes``: ``create`` needs ``event``/``platform_uid``; ``update`` and
    ``delete`` need ``remote_id`` (and ``etag`` to guard against a concurrent edit).

    A write of one occurrence of a series (an override) carries ``recurrence_id`` (its canonical
    recurrence id, also on a delete) and, once the series is paired, ``series_id``: the remote
    id of its master, for calendars that address occurrences through their series."""

    op: Literal["create", "update", "delete"]
    platform_uid: str
    event: Event | None = None
    remote_id: str | None = None
    etag: str | None = None
    recurrence_id: str = ""
    series_id: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    write: RemoteWrite
    remote: RemoteEvent | None = None  # the stored event after create/update
    error: Exception | None = None  # a ponton error for this write alone (batch partial failure)


@runtime_checkable
class RemoteCalendar(Protocol):
    """An external calendar bound to a platform resource.

    Optional features are the small protocols below, discovered once with ``isinstance``.
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


@runtime_checkable
class ParseDiagnostics(Protocol):
    """A backend reading iCalendar data reports what its last listing had to leave out."""

    def rejected_components(self) -> list[str]:
        """One message per isolated component or repair of the last listing, naming it."""
        ...

    def derived_uids(self) -> list[str]:
        """UIDs the last listing derived for events published without one."""
        ...


@runtime_checkable
class ItipMessages(Protocol):
    """A backend reading iTIP calendars (METHOD:REPLY, CANCEL, REQUEST) hands them to the engine."""

    def itip_message(self) -> ParsedCalendar | None:
        """The last listing when it was an iTIP message (method, events, replies, cancellations)."""
        ...


@runtime_checkable
class SeriesReader(Protocol):
    """A backend whose full listing may miss a live series (a calendar view lists a series
    through its live occurrences in the window alone) reads such a series on request."""

    def read_series(
        self, remote_ids: Sequence[str], start: datetime, end: datetime
    ) -> list[RemoteEvent]:
        """Each series named by its master's remote id, as a listing would give it: the master,
        its overrides and its cancelled occurrences in [start, end); a series gone gives
        nothing."""
        ...


@dataclass(frozen=True, slots=True)
class Channel:
    """A push channel (Google) or subscription (Graph) as the provider knows it."""

    channel_id: str
    expires_at: datetime
    resource_id: str | None = None


@runtime_checkable
class PushChannels(Protocol):
    """A backend whose provider notifies ponton of changes (``ponton.calendars.channels``)."""

    #: The webhook route receiving this provider's notifications (``/webhooks/<route>``).
    webhook_route: str

    def open_channel(
        self, *, channel_id: str, address: str, token: str, expires_at: datetime
    ) -> Channel:
        """Open a channel to ``address``; the provider may cap ``expires_at`` or assign its id."""
        ...

    def renew_channel(self, channel: Channel, *, expires_at: datetime) -> Channel | None:
        """Extend ``channel``; None when it cannot be extended (open a new one instead)."""
        ...

    def close_channel(self, channel: Channel) -> bool:
        """Stop ``channel``; False when the provider no longer knows it."""
        ...
