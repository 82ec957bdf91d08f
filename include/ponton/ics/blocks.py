"""Split a feed into raw component blocks before parsing, so only what changed is parsed again.

One pass of a regular expression over the bytes finds each top-level component (``BEGIN:VEVENT``
to its ``END``) without building any iCalendar object. Each block gets a digest of its content
normalised for the noise :func:`~ponton.ics.fingerprint.feed_hash` ignores (DTSTAMP regenerated
per download, folding, line endings), its UID read from the raw lines, and the TZIDs it uses.

Blocks are grouped by UID (a series' master and its overrides must be parsed together); a group's
digest also covers the VTIMEZONEs it uses, so a changed zone definition re-parses its events.
A VEVENT without UID gets one here (:func:`derived_uid`), from its raw identifying lines and its
rank among identical ones in the whole feed, so the UID is the same whichever blocks are parsed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ponton.errors import InvalidInputError
from ponton.ics.fingerprint import block_digest
from ponton.ics.limits import Limits
from ponton.ics.repair import DERIVED_PARAM, DERIVED_UID_DOMAIN

_MARKER = re.compile(rb"^(BEGIN|END):([A-Za-z0-9-]+)[ \t]*\r?$", re.MULTILINE | re.IGNORECASE)
_UID = re.compile(rb"^UID(?:;[^:\r\n]*)?:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.M | re.I)
_TZID_PARAM = re.compile(rb';TZID=("[^"]*"|[^:;\r\n]*)', re.IGNORECASE)
_TZID_PROP = re.compile(rb"^TZID(?:;[^:\r\n]*)?:([^\r\n]*)", re.MULTILINE | re.IGNORECASE)
_FOLD = re.compile(rb"\r?\n[ \t]")
_IDENTITY = re.compile(
    rb"^(DTSTART|SUMMARY|RECURRENCE-ID)([;:][^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.M | re.I
)
_EVENTS = re.compile(rb"^BEGIN:VEVENT\r?$", re.MULTILINE | re.IGNORECASE)
_UIDS = re.compile(rb"^UID[;:]", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Block:
    """One top-level component as raw bytes (``BEGIN`` to ``END`` line, derived UID inserted)."""

    name: str
    raw: bytes = field(repr=False)
    line: int
    uid: str | None
    digest: str
    tzids: frozenset[str]


@dataclass
class SplitFeed:
    """A feed as blocks: the calendar's own property lines, its components and its zones."""

    header: bytes
    components: list[Block]
    timezones: dict[str, Block]

    @property
    def header_digest(self) -> str:
        return block_digest(self.header)

    def groups(self) -> dict[str, list[Block]]:
        """Components by group key (the UID; a block without one is its own group), in order."""
        grouped: dict[str, list[Block]] = {}
        for block in self.components:
            grouped.setdefault(block.uid or f"~{block.digest}", []).append(block)
        return grouped

    def group_digest(self, blocks: Sequence[Block]) -> str:
        digest = hashlib.blake2b(digest_size=16)
        for block in blocks:
            digest.update(block.digest.encode())
            for tzid in sorted(block.tzids):
                zone = self.timezones.get(tzid)
                digest.update(zone.digest.encode() if zone else tzid.encode())
        return digest.hexdigest()

    def assemble(self, blocks: Sequence[Block]) -> tuple[bytes, list[int]]:
        """A VCALENDAR holding ``blocks`` and the VTIMEZONEs they use, and the feed line of each
        VEVENT in it (so parse notes point at the line in the published feed)."""
        zones = {tzid for block in blocks for tzid in block.tzids}
        pieces = [b"BEGIN:VCALENDAR\r\n", self.header]
        pieces.extend(self.timezones[tzid].raw for tzid in sorted(zones) if tzid in self.timezones)
        pieces.extend(block.raw for block in blocks)
        pieces.append(b"END:VCALENDAR\r\n")
        return b"".join(pieces), [b.line for b in blocks if b.name == "VEVENT"]


def split_feed(data: bytes, limits: Limits = Limits()) -> SplitFeed:  # noqa: B008 - immutable
    """Split ``data`` (one or more VCALENDARs) into blocks, within ``limits``' size bounds."""
    if len(data) > limits.max_bytes:
        raise InvalidInputError(
            f"the calendar is {len(data)} bytes, over the {limits.max_bytes}-byte limit; "
            "raise the binding's max_bytes option if the feed is genuine"
        )
    data = bytes(data).removeprefix(b"\xef\xbb\xbf")
    if not data.lstrip()[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        raise InvalidInputError(
            "the input is not an iCalendar file (it does not start with BEGIN:VCALENDAR); "
            "check that the file or URL serves a .ics calendar"
        )
    header: list[bytes] = []
    components: list[Block] = []
    timezones: dict[str, Block] = {}
    derived: Counter[str] = Counter()
    events = 0
    for name, start, end, line, kind in _spans(data):
        if kind == "header":
            header.append(data[start:end])
            continue
        raw = data[start:end]
        if name == "VTIMEZONE":
            found = _TZID_PROP.search(raw)
            tzid = _unfold(found[1]).decode(errors="replace").strip() if found else ""
            timezones.setdefault(tzid, Block(name, raw, line, None, block_digest(raw), frozenset()))
            continue
        events += name == "VEVENT"
        if events > limits.max_components:
            raise InvalidInputError(
                f"the calendar holds more than {limits.max_components} events, over the "
                "limit; split the feed or raise the binding's max_components option"
            )
        own = _own_lines(raw)
        uid = _uid(own)
        if uid is None and name == "VEVENT":
            base = derived_uid(own)
            derived[base] += 1
            uid = base if derived[base] == 1 else base.replace("@", f"-{derived[base]}@", 1)
            newline = raw.index(b"\n") + 1
            raw = raw[:newline] + f"UID;{DERIVED_PARAM}=TRUE:{uid}\r\n".encode() + raw[newline:]
        tzids = frozenset(t.strip(b'"').decode(errors="replace") for t in _TZID_PARAM.findall(raw))
        components.append(Block(name, raw, line, uid, block_digest(raw), tzids))
    return SplitFeed(b"".join(header), components, timezones)


def _spans(data: bytes) -> Iterator[tuple[str, int, int, int, str]]:
    """(name, start, end, line, "header"|"component") for calendar lines and top-level blocks."""
    depth, line, last = 0, 1, 0
    top_start = top_line = 0
    top_name = ""
    gap = 0
    for match in _MARKER.finditer(data):
        line += data.count(b"\n", last, match.start())
        last = match.start()
        name = match[2].upper().decode()
        if match[1].upper() == b"BEGIN":
            depth += 1
            if depth == 1:
                gap = _line_end(data, match.end())
            elif depth == 2:
                yield "", gap, match.start(), 0, "header"
                top_start, top_line, top_name = match.start(), line, name
        else:
            if depth == 2:
                end = _line_end(data, match.end())
                yield top_name, top_start, end, top_line, "component"
                gap = end
            elif depth == 1:
                yield "", gap, match.start(), 0, "header"
            depth = max(depth - 1, 0)
    if depth >= 2:  # cut short inside a component: the parser reports what it can
        yield top_name, top_start, len(data), top_line, "component"


def _line_end(data: bytes, position: int) -> int:
    newline = data.find(b"\n", position)
    return len(data) if newline < 0 else newline + 1


def _unfold(value: bytes) -> bytes:
    return _FOLD.sub(b"", value)


def with_derived_uids(data: bytes, limits: Limits = Limits()) -> bytes:  # noqa: B008
    """``data`` with a derived UID in every VEVENT that has none, VEVENTs kept in order.

    Cheap when every event has a UID (two counts); otherwise split and reassembled."""
    if len(_UIDS.findall(data)) >= len(_EVENTS.findall(data)):
        return data
    feed = split_feed(data, limits)
    return feed.assemble(feed.components)[0]


def derived_uid(own_lines: bytes) -> str:
    """A UID from the event's DTSTART (with its parameters), SUMMARY and RECURRENCE-ID lines as
    published, in any order; DTSTAMP and everything regenerated per download stay out."""
    lines = sorted(m[1].upper() + _unfold(m[2]).rstrip() for m in _IDENTITY.finditer(own_lines))
    digest = hashlib.sha256(b"\n".join(lines)).hexdigest()[:32]
    return f"{digest}@{DERIVED_UID_DOMAIN}"


def _own_lines(raw: bytes) -> bytes:
    """The component's lines without those of nested components (a VALARM's SUMMARY or UID)."""
    if raw.count(b"BEGIN:") < 2:
        return raw
    kept, depth, last = [], 0, 0
    for match in _MARKER.finditer(raw):
        if match[1].upper() == b"BEGIN":
            depth += 1
            if depth == 2:
                kept.append(raw[last : match.start()])
        else:
            if depth == 2:
                last = _line_end(raw, match.end())
            depth -= 1
    kept.append(raw[last:])
    return b"".join(kept)


def _uid(own_lines: bytes) -> str | None:
    found = _UID.search(own_lines)
    if not found:
        return None
    uid = _unfold(found[1]).decode(errors="replace").strip()
    return uid or None
