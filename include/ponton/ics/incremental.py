"""Import a feed at a cost proportional to what changed since the last import.

The feed is split into raw blocks (:mod:`ponton.ics.blocks`) and grouped by UID. The previous
import left a :class:`BlockIndex` in the feed cursor: per group, the digest of its blocks and of
the VTIMEZONEs they use, the event keys it listed, and (when it listed none) the span of its
events. Only groups that are new, changed, or whose span now enters the window are parsed,
together with the VTIMEZONEs they need; a group that vanished or lost an override yields deleted
keys. A first import, or one after a change of the calendar's own properties, parses every group,
a few hundred blocks at a time, so memory holds one slice of parsed components, never the whole
calendar.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ponton.ics.blocks import Block, SplitFeed, split_feed
from ponton.ics.expand import events_in_window
from ponton.ics.limits import Limits
from ponton.ics.parse import ParsedCalendar, parse_calendar
from ponton.model import Event

#: Blocks parsed in one slice: large enough to amortise the VTIMEZONEs, small enough for memory.
SLICE_BLOCKS = 500
_METHOD = re.compile(rb"^METHOD:[ \t]*([A-Za-z-]+)", re.MULTILINE | re.IGNORECASE)
_NAME = re.compile(rb"^X-WR-CALNAME(?:;[^:\r\n]*)?:([^\r\n]*)", re.MULTILINE | re.IGNORECASE)
_SLACK = timedelta(days=1)  # all-day spans are dates: widen so any zone is covered


@dataclass(frozen=True, slots=True)
class GroupState:
    """What the last import knew of one UID group."""

    digest: str
    keys: tuple[str, ...]  # event keys it listed inside the window
    span: tuple[int, int | None] | None = None  # epoch seconds (end None: an open series)

    def enters(self, start: datetime, end: datetime) -> bool:
        """Whether a group that listed nothing last time may have something in [start, end)."""
        if self.keys or self.span is None:
            return False
        first, last = self.span
        return first < end.timestamp() and (last is None or last > start.timestamp())


@dataclass
class BlockIndex:
    """Per-group state of the last import; ``context`` changes when every group must be parsed."""

    context: str
    groups: dict[str, GroupState] = field(default_factory=dict)

    def encode(self) -> str:
        """Compressed JSON; a group that listed just its own key is stored as its digest alone."""
        rows = {
            key: g.digest if g.keys == (key,) else [g.digest, list(g.keys), g.span]
            for key, g in self.groups.items()
        }
        text = json.dumps({"c": self.context, "g": rows}, separators=(",", ":"))
        return base64.b64encode(zlib.compress(text.encode(), 1)).decode()

    @classmethod
    def decode(cls, text: str | None) -> BlockIndex | None:
        """The index, or None when ``text`` is missing or unreadable (a full import follows)."""
        if not text:
            return None
        try:
            payload = json.loads(zlib.decompress(base64.b64decode(text)))
            groups = {key: _group(key, row) for key, row in payload["g"].items()}
            return cls(str(payload["c"]), groups)
        except (ValueError, TypeError, KeyError, zlib.error):
            return None


def _group(key: str, row: str | list) -> GroupState:
    if isinstance(row, str):
        return GroupState(row, (key,))
    digest, keys, span = row
    return GroupState(str(digest), tuple(keys), tuple(span) if span else None)


@dataclass
class FeedImport:
    """What :func:`import_feed` read: ``events`` inside the window (all of them when ``full``,
    else only new or changed ones), ``deleted`` keys, the parse summary and the next index."""

    events: list[Event]
    deleted: list[str]
    full: bool
    parsed: ParsedCalendar
    index: BlockIndex | None


def import_feed(
    data: bytes,
    previous: BlockIndex | None,
    start: datetime,
    end: datetime,
    *,
    limits: Limits = Limits(),  # noqa: B008 - immutable
    default_timezone: str = "UTC",
    normalised: bytes | None = None,
) -> FeedImport:
    """Read the events of ``data`` inside [start, end), parsing only what ``previous`` lacks.

    ``normalised``: :func:`~ponton.ics.fingerprint.normalise` of ``data`` when already known.
    iTIP messages (``METHOD:REPLY`` / ``CANCEL``) are small and read whole, without an index."""
    feed = split_feed(data, limits, normalised=normalised)
    method = _header(_METHOD, feed.header).upper() or None
    if method in ("REPLY", "CANCEL"):
        parsed = parse_calendar(data, limits, default_timezone=default_timezone)
        events, errors = events_in_window(parsed, start, end, limits)
        parsed.errors.extend(errors)
        return FeedImport(events, [], True, parsed, None)
    context = hashlib.blake2b(
        f"{feed.header_digest}|{default_timezone}|{limits!r}".encode(), digest_size=16
    ).hexdigest()
    known = previous.groups if previous and previous.context == context else None
    index = BlockIndex(context)
    dirty: list[tuple[str, str, list[Block]]] = []
    for key, blocks in feed.groups().items():
        digest = feed.group_digest(blocks)
        old = known.get(key) if known is not None else None
        if old is not None and old.digest == digest and not old.enters(start, end):
            index.groups[key] = old
        else:
            dirty.append((key, digest, blocks))
    summary = ParsedCalendar(
        [], [], method, _header(_NAME, feed.header) or None, default_timezone, derived_uids=[]
    )
    for batch in _slices(dirty):
        _parse_slice(feed, batch, start, end, limits, default_timezone, index, summary)
    deleted: list[str] = []
    for key, old in (known or {}).items():
        current = index.groups.get(key)
        deleted.extend(k for k in old.keys if current is None or k not in current.keys)
    return FeedImport(summary.events, deleted, known is None, summary, index)


def _parse_slice(
    feed: SplitFeed,
    batch: Sequence[tuple[str, str, list[Block]]],
    start: datetime,
    end: datetime,
    limits: Limits,
    default_timezone: str,
    index: BlockIndex,
    summary: ParsedCalendar,
) -> None:
    data, lines = feed.assemble([block for _, _, blocks in batch for block in blocks])
    parsed = parse_calendar(data, limits, default_timezone=default_timezone, feed_lines=lines)
    listed, errors = events_in_window(parsed, start, end, limits)
    summary.timezone = parsed.timezone
    summary.errors.extend(parsed.errors + errors)
    summary.derived_uids.extend(parsed.derived_uids)
    summary.events.extend(listed)
    by_uid: dict[str, list[Event]] = {}
    for event in parsed.events:
        by_uid.setdefault(event.uid, []).append(event)
    in_window: dict[str, list[str]] = {}
    for event in listed:
        in_window.setdefault(event.uid, []).append(event.key)
    for key, digest, blocks in batch:
        uid = blocks[0].uid or ""
        keys = tuple(in_window.get(uid, ()))
        span = None if keys else _span(by_uid.get(uid, ()))
        index.groups[key] = GroupState(digest, keys, span)


def _slices(
    dirty: list[tuple[str, str, list[Block]]],
) -> Iterator[list[tuple[str, str, list[Block]]]]:
    batch: list[tuple[str, str, list[Block]]] = []
    size = 0
    for group in dirty:
        batch.append(group)
        size += len(group[2])
        if size >= SLICE_BLOCKS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _span(events: Sequence[Event]) -> tuple[int, int | None] | None:
    """First start and last end of a group's events, widened by a day; None when unreadable."""
    if not events:
        return None
    first = min(_epoch(e.start) for e in events) - int(_SLACK.total_seconds())
    if any(e.recurrence for e in events):
        return first, None
    return first, max(_epoch(e.end) for e in events) + int(_SLACK.total_seconds())


def _epoch(moment: datetime | date) -> int:
    if isinstance(moment, datetime):
        return int(moment.timestamp())
    return int(datetime(moment.year, moment.month, moment.day, tzinfo=UTC).timestamp())


def _header(pattern: re.Pattern[bytes], header: bytes) -> str:
    found = pattern.search(header)
    return found[1].decode(errors="replace").strip() if found else ""
