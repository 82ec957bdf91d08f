"""``IcsFeedCalendar``: a read-only :class:`~ponton.sync.port.RemoteCalendar` over an ICS feed.

Cursor format (stored by the sync engine in ``calendar_bindings.sync_token``): the string
``ics1:`` followed by compact JSON ``{"etag": ..., "last_modified": ..., "hash": ...,
"blocks": ..., "fetched_at": ..., "refresh": ...}`` holding the HTTP validators,
:func:`~ponton.ics.fingerprint.feed_hash` of the last body read, the per-block index of
:mod:`ponton.ics.incremental`, when the feed was last fetched and its refresh hint in seconds
(:mod:`ponton.ics.refresh`). Before the hint (or the binding's ``refresh_interval``) has passed,
the feed is not fetched and lists as unchanged. An unchanged feed (HTTP 304, same file mtime, or
same feed hash) lists as an empty, non-full ChangeSet without parsing; a changed one lists only
its new and changed events plus the deleted keys, parsing only the blocks that changed. A cursor
that cannot be read is ignored (full listing), never an error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

import requests

from ponton.errors import PermanentError
from ponton.ics.feeds import FeedOptions, fetch_feed, redact
from ponton.ics.fingerprint import feed_hash, normalise
from ponton.ics.incremental import BlockIndex, import_feed
from ponton.ics.limits import Limits
from ponton.ics.parse import ParsedCalendar, parse_calendar
from ponton.ics.refresh import refresh_due, refresh_hint
from ponton.platform.itip import ITIP_METHODS
from ponton.sync.port import ChangeSet, RemoteEvent, RemoteWrite, WriteResult

_PREFIX = "ics1:"
_FIELDS = ("etag", "last_modified", "hash", "blocks", "fetched_at", "refresh")


@dataclass(frozen=True, slots=True)
class FeedCursor:
    etag: str | None = None
    last_modified: str | None = None
    hash: str | None = None
    blocks: str | None = None
    fetched_at: str | None = None
    refresh: float | None = None

    def encode(self) -> str:
        return _PREFIX + json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str | None) -> FeedCursor | None:
        if not cursor or not cursor.startswith(_PREFIX):
            return None
        try:
            fields = json.loads(cursor[len(_PREFIX) :])
            return cls(**{k: fields.get(k) for k in _FIELDS})
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
        now = datetime.now(UTC)
        if previous and not self._refresh_due(previous, now):
            self.last_cursor = previous
            return ChangeSet([], full=False, cursor=previous.encode())
        result = fetch_feed(
            self._source,
            etag=previous.etag if previous else None,
            last_modified=previous.last_modified if previous else None,
            options=self.options,
            session=self._session,
        )
        fetched_at = now.isoformat()
        if previous and not result.changed:
            self.last_cursor = replace(previous, fetched_at=fetched_at)
            return ChangeSet([], full=False, cursor=self.last_cursor.encode())
        body = result.body if result.body is not None else b""
        text = normalise(body.removeprefix(b"\xef\xbb\xbf"))
        digest = feed_hash(body, normalised=text)
        hint = refresh_hint(body)
        seen = FeedCursor(
            etag=result.etag,
            last_modified=result.last_modified,
            hash=digest,
            fetched_at=fetched_at,
            refresh=hint.total_seconds() if hint else None,
        )
        if previous and previous.hash == digest:
            self.last_cursor = replace(seen, blocks=previous.blocks)
            return ChangeSet([], full=False, cursor=self.last_cursor.encode())
        read = import_feed(
            body,
            BlockIndex.decode(previous.blocks) if previous else None,
            start,
            end,
            limits=self.limits,
            default_timezone=self.default_timezone,
            normalised=text,
        )
        current = replace(seen, blocks=read.index.encode() if read.index else None)
        self.last_cursor = current
        parsed = read.parsed
        self.last_parsed = parsed
        self.last_errors = list(parsed.errors)
        events = [RemoteEvent(event.key, event, platform_uid=event.uid) for event in read.events]
        self._listed = events if read.full else None  # ``find`` needs the whole calendar
        if parsed.method in ITIP_METHODS:
            # iTIP messages, not a calendar to mirror: the engine applies ``itip_message()``.
            return ChangeSet([], full=False, cursor=current.encode())
        return ChangeSet(events, full=read.full, cursor=current.encode(), deleted=read.deleted)

    def _refresh_due(self, previous: FeedCursor, now: datetime) -> bool:
        try:
            fetched_at = datetime.fromisoformat(previous.fetched_at or "")
        except ValueError:
            return True
        override = self.options.refresh_interval
        return refresh_due(
            fetched_at,
            timedelta(seconds=previous.refresh) if previous.refresh else None,
            timedelta(seconds=override) if override is not None else None,
            now,
        )

    def rejected_components(self) -> list[str]:
        return list(self.last_errors)

    def derived_uids(self) -> list[str]:
        return list(self.last_parsed.derived_uids) if self.last_parsed else []

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
