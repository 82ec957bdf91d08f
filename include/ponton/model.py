"""The one event model every calendar adapter converts to and from.

Datetimes are timezone-aware; all-day events use plain ``date`` values with an exclusive end, as in
RFC 5545. ``content_hash`` ignores what calendars regenerate (DTSTAMP, PRODID, LAST-MODIFIED,
SEQUENCE, etags), so an unchanged event hashes the same whichever side it was read from.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")
TRANSPARENCIES = ("OPAQUE", "TRANSPARENT")
#: RFC 5545 CLASS values; an unknown class is read as PRIVATE, as §3.8.1.3 requires.
PRIVACIES = ("PUBLIC", "PRIVATE", "CONFIDENTIAL")


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str | None = None
    partstat: str = "NEEDS-ACTION"
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One VEVENT: a single event, a recurring master (``recurrence`` set) or an override of one
    occurrence (``recurrence_id`` set)."""

    uid: str
    start: datetime | date
    end: datetime | date
    summary: str = ""
    description: str = ""
    location: str = ""
    timezone: str | None = None
    recurrence_id: datetime | date | None = None
    recurrence: tuple[str, ...] = ()
    status: str = "CONFIRMED"
    transparency: str = "OPAQUE"
    sequence: int = 0
    organizer: str | None = None
    attendees: tuple[Attendee, ...] = ()
    categories: tuple[str, ...] = ()
    url: str | None = None
    privacy: str = "PUBLIC"
    #: The calendar owner's own answer (PARTSTAT) when the calendar says it; None otherwise.
    response: str | None = None
    last_modified: datetime | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name in ("start", "end", "recurrence_id"):
            value = getattr(self, name)
            if isinstance(value, datetime) and value.tzinfo is None:
                raise ValueError(f"event {self.uid!r}: {name} {value!r} has no time zone")
        if self.all_day != (not isinstance(self.end, datetime)):
            raise ValueError(f"event {self.uid!r}: start and end must both be dates or datetimes")
        if self.end < self.start:
            raise ValueError(f"event {self.uid!r}: ends ({self.end}) before it starts")

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    @property
    def key(self) -> str:
        """Identity of this component: the UID, plus the recurrence id for an override."""
        return event_key(self.uid, self.recurrence_id)

    @property
    def busy(self) -> bool:
        return self.status != "CANCELLED" and self.transparency == "OPAQUE"

    @property
    def private(self) -> bool:
        """Only "busy" and the time of this event may leave its own calendar."""
        return self.privacy != "PUBLIC"

    def content(self) -> dict[str, Any]:
        """The fields that matter for sync, in canonical form (UTC instants, sorted lists)."""
        content: dict[str, Any] = {
            "uid": self.uid,
            "recurrence_id": _canonical_moment(self.recurrence_id),
            "start": _canonical_moment(self.start),
            "end": _canonical_moment(self.end),
            "summary": canonical_text(self.summary),
            "description": canonical_text(self.description),
            "location": canonical_text(self.location),
            "recurrence": sorted(self.recurrence),
            "status": self.status,
            "transparency": self.transparency,
            "attendees": sorted((a.email.lower(), a.partstat) for a in self.attendees),
        }
        # Only when set, so the hashes of every event without them stay what they were.
        if self.private:
            content["privacy"] = self.privacy
        if self.response:
            content["response"] = self.response
        return content

    def content_hash(self) -> str:
        payload = json.dumps(self.content(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()


_CONTROL = dict.fromkeys([*(c for c in range(32) if chr(c) not in "\t\n"), 127])


def canonical_text(text: str) -> str:
    """Text as every calendar keeps it: one newline form, no control characters, no outer blanks.

    iCalendar cannot carry a bare CR or other control characters, so they are not content.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL).strip()


def moment_key(value: datetime | date | None) -> str:
    """A recurrence id in canonical form ("" for none): UTC ``YYYYMMDDTHHMMSSZ`` or ``YYYYMMDD``."""
    return _canonical_moment(value) or ""


def event_key(uid: str, recurrence_id: datetime | date | str | None) -> str:
    """The key of one component of a series: ``uid``, or ``uid#recurrence-id`` for an override."""
    rid = recurrence_id if isinstance(recurrence_id, str) else moment_key(recurrence_id)
    return f"{uid}#{rid}" if rid else uid


_RID = re.compile(r"^\d{8}(T\d{6}Z)?$")


def split_key(key: str) -> tuple[str, str]:
    """(uid, canonical recurrence id or "") of an :func:`event_key`."""
    uid, sep, rid = key.rpartition("#")
    if sep and uid and _RID.match(rid):
        return uid, rid
    return key, ""


def parse_moment_key(rid: str) -> datetime | date | None:
    """The value of a canonical recurrence id (inverse of :func:`moment_key`)."""
    if not rid:
        return None
    if len(rid) == 8:
        return datetime.strptime(rid, "%Y%m%d").date()
    return datetime.strptime(rid, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _canonical_moment(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return value.strftime("%Y%m%d")
