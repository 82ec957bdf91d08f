"""Split a feed into raw component blocks before parsing, so only what changed is parsed again.

One regular expression finds each top-level component (``BEGIN:VEVENT`` to its ``END``) without
building any iCalendar object. Each block gets a digest of its content normalised for the noise
:func:`~ponton.ics.fingerprint.feed_hash` ignores (DTSTAMP regenerated per download, folding,
line endings), its UID read from the raw lines, and the TZIDs it uses. Blocks hold offsets into
the feed, not copies, so a 50k-event feed costs little more memory than its bytes.

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
from typing import NamedTuple

from ponton.errors import InvalidInputError
from ponton.ics.fingerprint import block_digest, normalise
from ponton.ics.limits import Limits
from ponton.ics.repair import DERIVED_PARAM, DERIVED_UID_DOMAIN

_OPEN = re.compile(rb"^BEGIN:(?!VCALENDAR\b)([A-Za-z][A-Za-z0-9-]*)[ \t]*\r?$", re.M | re.I)
_STOP = re.compile(rb"^(?:BEGIN:(?!VCALENDAR\b)[A-Za-z]|END:VCALENDAR\b)", re.M | re.I)
# BEGIN/END lines left between components (the VCALENDAR's own, or debris of a broken nesting)
# never belong to the calendar's property lines.
_COMPONENT_LINE = re.compile(rb"^(?:BEGIN|END):[^\n]*\n?", re.MULTILINE | re.IGNORECASE)
_MARKER = re.compile(rb"^(BEGIN|END):[A-Za-z0-9-]+[ \t]*$", re.MULTILINE | re.IGNORECASE)
# On normalised text (unfolded, LF line endings).
_UID = re.compile(rb"^UID(?:;[^:\n]*)?:([^\n]*)", re.MULTILINE | re.IGNORECASE)
_TZID_PARAM = re.compile(rb';TZID=("[^"]*"|[^:;\n]*)', re.IGNORECASE)
_TZID_PROP = re.compile(rb"^TZID(?:;[^:\n]*)?:([^\n]*)", re.MULTILINE | re.IGNORECASE)
_IDENTITY = re.compile(rb"^(?:DTSTART|SUMMARY|RECURRENCE-ID)[;:][^\n]*", re.M | re.I)
_EVENTS = re.compile(rb"^BEGIN:VEVENT\r?$", re.MULTILINE | re.IGNORECASE)
_UIDS = re.compile(rb"^UID[;:]", re.MULTILINE | re.IGNORECASE)


class Block(NamedTuple):
    """One top-level component: where it is in the feed, and what identifies it (a tuple: tens
    of thousands are made per import)."""

    name: str
    start: int
    end: int
    uid: str | None
    digest: str
    tzids: tuple[str, ...] = ()
    #: The UID line to insert after the BEGIN line (a derived UID), else empty.
    uid_line: bytes = b""


@dataclass
class SplitFeed:
    """A feed as blocks: the calendar's own property lines, its components and its zones."""

    data: bytes = field(repr=False)
    header: bytes
    components: list[Block]
    timezones: dict[str, Block]
    _line_at: tuple[int, int] = (0, 1)  # (offset, line) last counted, for ascending look-ups

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
        if len(blocks) == 1 and not blocks[0].tzids:
            return blocks[0].digest
        digest = hashlib.blake2b(digest_size=16)
        for block in blocks:
            digest.update(block.digest.encode())
            for tzid in block.tzids:
                zone = self.timezones.get(tzid)
                digest.update(zone.digest.encode() if zone else tzid.encode())
        return digest.hexdigest()

    def raw(self, block: Block) -> bytes:
        text = self.data[block.start : block.end]
        if not block.uid_line:
            return text
        newline = text.index(b"\n") + 1
        return text[:newline] + block.uid_line + text[newline:]

    def assemble(self, blocks: Sequence[Block]) -> tuple[bytes, list[int]]:
        """A VCALENDAR holding ``blocks`` and the VTIMEZONEs they use, and the feed line of each
        VEVENT in it (so parse notes point at the line in the published feed)."""
        zones = sorted({tzid for block in blocks for tzid in block.tzids})
        pieces = [b"BEGIN:VCALENDAR\r\n", self.header]
        pieces.extend(self.raw(self.timezones[tzid]) for tzid in zones if tzid in self.timezones)
        pieces.extend(self.raw(block) for block in blocks)
        pieces.append(b"END:VCALENDAR\r\n")
        return b"".join(pieces), [self.line(b.start) for b in blocks if b.name == "VEVENT"]

    def line(self, offset: int) -> int:
        """The 1-based line of ``offset``; cheap for ascending offsets."""
        at, line = self._line_at if offset >= self._line_at[0] else (0, 1)
        line += self.data.count(b"\n", at, offset)
        self._line_at = (offset, line)
        return line


def split_feed(
    data: bytes,
    limits: Limits = Limits(),  # noqa: B008 - immutable
    *,
    normalised: bytes | None = None,
) -> SplitFeed:
    """Split ``data`` (one or more VCALENDARs) into blocks, within ``limits``' size bounds;
    ``normalised`` is :func:`~ponton.ics.fingerprint.normalise` of ``data`` when already known."""
    data = calendar_bytes(data, limits)
    header: list[bytes] = []
    components: list[Block] = []
    timezones: dict[str, Block] = {}
    derived: Counter[str] = Counter()
    names: dict[bytes, str] = {}
    zone_sets: dict[tuple[bytes, ...], tuple[str, ...]] = {}
    last = events = 0
    for start, end, text, at, until in _normalised_blocks(data, normalised):
        if start > last:
            header.append(data[last:start])
        last = end
        word = text[at + 6 : text.index(b"\n", at)]
        name = names.get(word) or names.setdefault(word, _name(word))
        digest = hashlib.blake2b(memoryview(text)[at:until], digest_size=16).hexdigest()
        if name == "VTIMEZONE":
            found = _TZID_PROP.search(text, at, until)
            tzid = found[1].decode(errors="replace").strip() if found else ""
            timezones.setdefault(tzid, Block(name, start, end, None, digest))
            continue
        events += name == "VEVENT"
        if events > limits.max_components:
            raise InvalidInputError(
                f"the calendar holds more than {limits.max_components} events, over the "
                "limit; split the feed or raise the binding's max_components option"
            )
        own = _own_lines(text[at:until]) if text.count(b"BEGIN:", at, until) > 1 else None
        found = _UID.search(own) if own is not None else _UID.search(text, at, until)
        uid = found[1].decode(errors="replace").strip() if found else ""
        uid_line = b""
        if not uid and name == "VEVENT":
            base = derived_uid(own if own is not None else text[at:until])
            derived[base] += 1
            uid = base if derived[base] == 1 else base.replace("@", f"-{derived[base]}@", 1)
            uid_line = f"UID;{DERIVED_PARAM}=TRUE:{uid}\r\n".encode()
        tzids = tuple(_TZID_PARAM.findall(text, at, until))
        zones = zone_sets.get(tzids) or zone_sets.setdefault(tzids, _zones(tzids))
        components.append(Block(name, start, end, uid or None, digest, zones, uid_line))
    header.append(data[last:])
    return SplitFeed(data, _COMPONENT_LINE.sub(b"", b"".join(header)), components, timezones)


def _name(word: bytes) -> str:
    return word.strip().upper().decode(errors="replace")


def _zones(tzids: tuple[bytes, ...]) -> tuple[str, ...]:
    return tuple(sorted({t.strip(b'"').decode(errors="replace") for t in tzids}))


def calendar_bytes(data: bytes, limits: Limits) -> bytes:
    """``data`` without a BOM, once it is known to be bytes of a calendar within ``max_bytes``."""
    if not isinstance(data, bytes | bytearray):
        raise InvalidInputError("calendar data must be bytes read from a file or a feed")
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
    return data


def _normalised_blocks(
    data: bytes, text: bytes | None
) -> Iterator[tuple[int, int, bytes, int, int]]:
    """(start, end) of each block in ``data`` with its normalised text as (text, at, until).

    The whole feed is normalised at once (a few passes in C) and split again; should the two
    splits disagree (a boundary moved by normalising), each block is normalised on its own."""
    spans = list(_block_spans(data))
    text = normalise(data) if text is None else text
    normalised = list(_block_spans(text))
    if len(normalised) == len(spans):
        for (start, end), (at, until) in zip(spans, normalised, strict=True):
            yield start, end, text, at, until
        return
    for start, end in spans:
        alone = normalise(data[start:end])
        yield start, end, alone, 0, len(alone)


def _block_spans(data: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each top-level component, found with ``bytes.find`` for its END line."""
    position = 0
    while (opening := _OPEN.search(data, position)) is not None:
        position = _closing(data, opening)
        yield opening.start(), position


def _closing(data: bytes, opening: re.Match[bytes]) -> int:
    """The offset just past the END line that closes ``opening``. A component cut short (no END
    line) runs to the next component or END:VCALENDAR; the parser reports what it can of it."""
    marker = b"\nEND:" + opening[1]
    at = opening.end()
    while (found := data.find(marker, at)) >= 0:
        at = found + len(marker)
        if data[at : at + 1] in (b"\r", b"\n", b" ", b"\t", b""):
            return _line_end(data, at)
    closing = re.compile(rb"^END:" + re.escape(opening[1]) + rb"[ \t]*\r?$", re.M | re.I)
    found = closing.search(data, opening.end())  # an END line in another letter case
    if found:
        return _line_end(data, found.end())
    stop = _STOP.search(data, opening.end())
    return stop.start() if stop else len(data)


def _line_end(data: bytes, position: int) -> int:
    newline = data.find(b"\n", position)
    return len(data) if newline < 0 else newline + 1


def with_derived_uids(data: bytes, limits: Limits = Limits()) -> bytes:  # noqa: B008
    """``data`` with a derived UID in every VEVENT that has none, VEVENTs kept in order.

    Cheap when every event has a UID (two counts); otherwise split and reassembled."""
    if len(_UIDS.findall(data)) >= len(_EVENTS.findall(data)):
        return data
    feed = split_feed(data, limits)
    return feed.assemble(feed.components)[0]


def derived_uid(own_lines: bytes) -> str:
    """A UID from the event's DTSTART (with its parameters), SUMMARY and RECURRENCE-ID lines as
    published (normalised), in any order; DTSTAMP and all else regenerated per download stay out."""
    lines = sorted(line.rstrip() for line in _IDENTITY.findall(own_lines))
    digest = hashlib.sha256(b"\n".join(lines)).hexdigest()[:32]
    return f"{digest}@{DERIVED_UID_DOMAIN}"


def _own_lines(text: bytes) -> bytes:
    """The component's lines without those of nested components (a VALARM's SUMMARY or UID)."""
    kept, depth, last = [], 0, 0
    for match in _MARKER.finditer(text):
        if match[1].upper() == b"BEGIN":
            depth += 1
            if depth == 2:
                kept.append(text[last : match.start()])
        else:
            if depth == 2:
                last = match.end()
            depth -= 1
    kept.append(text[last:])
    return b"".join(kept)
