"""``IcsFeedCalendar``: a read-only :class:`~ponton.sync.port.RemoteCalendar` over an ICS feed.

Cursor format (stored by the sync engine in ``calendar_bindings.sync_token``): the string
``ics1:`` followed by compact JSON ``{"etag": ..., "last_modified": ..., "hash": ...}`` holding
the HTTP validators and :func:`~ponton.ics.fingerprint.feed_hash` of the last body read. With a
cursor, an unchanged feed (HTTP 304, same file mtime, or same feed hash) lists as an empty,
non-full ChangeSet without parsing; anything else lists in full. A cursor that cannot be read is
ignored (full listing), never an error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import requests

from ponton.errors import PermanentError
from ponton.ics.expand import events_in_window
from ponton.ics.feeds import FeedOptions, fetch_feed, redact
from ponton.ics.fingerprint import feed_hash
from ponton.ics.limits import Limits
from ponton.ics.parse import ParsedCalendar, parse_calendar
from ponton.platform.itip import ITIP_METHODS
from ponton.sync.port import ChangeSet, RemoteEvent, RemoteWrite, WriteResult

_PREFIX = "ics1:"


@dataclass(frozen=True, slots=True)
class FeedCursor:
    etag: str | None = None
    last_modified: str | None = None
    hash: str | None = None

    def encode(self) -> str:
        return _PREFIX + json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str | None) -> FeedCursor | None:
        if not cursor or not cursor.startswith(_PREFIX):
            return None
        try:
            fields = json.loads(cursor[len(_PREFIX) :])
            return cls(**{k: fields.get(k) for k in ("etag", "last_modified", "hash")})
        except (ValueError, TypeError, AttributeError):
            return None


class IcsFeedCalendar:
    """A subscribed feed. ``remote_id`` is the event key (UID, plus ``#recurrence-id`` for an
    override); ``platform_uid`` is the UID: the planner decides whether the UID is one of ours.

    After each listing, ``last_errors`` holds the isolated components and repairs to journal
    (empty when the feed was unchanged; ``ParseDiagnostics``), ``last_parsed`` the last parse
    (an iTIP message for a REPLY/CANCEL/REQUEST feed; ``ItipMessages``) and ``last_cursor`` the
    validators (``feed_etag``, ``feed_last_modified``, ``feed_hash`` columns).
    """

    capabilities = frozenset({"read"})

    def __init__(
        self,
        source: str,
        *,
        options: FeedOptions = FeedOptions(),  # noqa: B008 - immutable
        limits: Limits = Limits(),  # noqa: B008 - immutable
        default_timezone: str = "UTC",
        session: requests.Session | None = None,
    ) -> None:
        self._source = source
        self.options = options
        self.limits = limits
        self.default_timezone = default_timezone
        self._session = session
        self.last_parsed: ParsedCalendar | None = None
        self.last_errors: list[str] = []
        self.last_cursor: FeedCursor | None = None
        self._listed: list[RemoteEvent] | None = None

    def __repr__(self) -> str:
        return f"IcsFeedCalendar({redact(self._source)!r})"

    def list_changes(self, cursor: str | None, start: datetime, end: datetime) -> ChangeSet:
        previous = FeedCursor.decode(cursor)
        self.last_errors = []
        self.last_parsed = None
        result = fetch_feed(
            self._source,
            etag=previous.etag if previous else None,
            last_modified=previous.last_modified if previous else None,
            options=self.options,
            session=self._session,
        )
        if previous and not result.changed:
            self.last_cursor = previous
            return ChangeSet([], full=False, cursor=previous.encode())
        body = result.body if result.body is not None else b""
        digest = feed_hash(body)
        current = FeedCursor(result.etag, result.last_modified, digest)
        self.last_cursor = current
        if previous and previous.hash == digest:
            return ChangeSet([], full=False, cursor=current.encode())
        parsed = parse_calendar(body, self.limits, default_timezone=self.default_timezone)
        self.last_parsed = parsed
        in_window, errors = events_in_window(parsed, start, end, self.limits)
        parsed.errors.extend(errors)
        self.last_errors = list(parsed.errors)
        events = [RemoteEvent(event.key, event, platform_uid=event.uid) for event in in_window]
        self._listed = events
        if parsed.method in ITIP_METHODS:
            # iTIP messages, not a calendar to mirror: the engine applies ``itip_message()``.
            return ChangeSet([], full=False, cursor=current.encode())
        return ChangeSet(events, full=True, cursor=current.encode())

    def rejected_components(self) -> list[str]:
        return list(self.last_errors)

    def itip_message(self) -> ParsedCalendar | None:
        parsed = self.last_parsed
        return parsed if parsed is not None and parsed.method in ITIP_METHODS else None

    def find(self, platform_uid: str) -> RemoteEvent | None:
        if self._listed is None:
            parsed = parse_calendar(
                fetch_feed(self._source, options=self.options, session=self._session).body or b"",
                self.limits,
                default_timezone=self.default_timezone,
            )
            self._listed = [RemoteEvent(e.key, e, platform_uid=e.uid) for e in parsed.events]
        for remote in self._listed:
            if remote.platform_uid == platform_uid and remote.event.recurrence_id is None:
                return remote
        return None

    def apply_writes(self, writes: Sequence[RemoteWrite]) -> list[WriteResult]:
        error = PermanentError(
            f"ICS feed {redact(self._source)} is read-only; bind it with --direction import"
        )
        return [WriteResult(write, error=error) for write in writes]
