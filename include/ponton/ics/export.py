"""Publish events as an RFC 5545 calendar that Google, Outlook and Apple clients subscribe to.

Text goes through icalendar's value types, which escape ``\\``, ``;``, ``,`` and line breaks, and
parameter values lose quotes and line breaks, so user text can never start a property of its own.
Each date-time is written in the event's IANA zone with a VTIMEZONE for every zone used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from icalendar.prop import vDDDTypes, vDuration, vRecur

from ponton.errors import InvalidInputError
from ponton.model import Event, canonical_text

PRODID = "-//ponton//ponton calendar publish 1.0//EN"
_UNSAFE_PARAM = str.maketrans(dict.fromkeys('"\r\n;:,' + "".join(map(chr, range(32))), " "))


def export_calendar(
    events: Iterable[Event],
    name: str,
    method: str | None = "PUBLISH",
    *,
    dtstamp: datetime | None = None,
    refresh: timedelta | None = None,
) -> bytes:
    """A VCALENDAR holding ``events`` (masters and overrides), named ``name`` (X-WR-CALNAME).

    SEQUENCE is written as each event carries it: the caller bumps it on every change.
    ``dtstamp`` defaults to now (UTC); pass one to make the output reproducible. ``method=None``
    and an empty ``name`` give a bare calendar object, as CalDAV stores require (RFC 4791).
    ``refresh`` tells subscribers how often to poll: ``REFRESH-INTERVAL`` (RFC 7986) and
    ``X-PUBLISHED-TTL`` (Outlook's older form, which Google also reads).
    """
    if method not in (None, "PUBLISH", "REQUEST", "CANCEL", "REPLY"):
        raise InvalidInputError(
            f"iCalendar METHOD {method!r} is not PUBLISH, REQUEST, CANCEL or REPLY"
        )
    stamp = (dtstamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    if canonical_text(name):
        calendar.add("X-WR-CALNAME", canonical_text(name).replace("\n", " "))
    if refresh is not None:
        calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    for event in events:
        calendar.add_component(_vevent(event, stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _zone(event: Event) -> ZoneInfo | None:
    if not event.timezone or event.timezone == "UTC":
        return None
    try:
        return ZoneInfo(event.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _moment(value: datetime | date, zone: ZoneInfo | None) -> datetime | date:
    if not isinstance(value, datetime):
        return value
    value = value.replace(microsecond=0)
    return value.astimezone(zone) if zone else value.astimezone(UTC)


def _vevent(event: Event, stamp: datetime) -> icalendar.Event:
    zone = _zone(event)
    vevent = icalendar.Event()
    vevent.add("UID", event.uid)
    vevent.add("DTSTAMP", stamp)
    vevent.add("DTSTART", _moment(event.start, zone))
    vevent.add("DTEND", _moment(event.end, zone))
    if event.recurrence_id is not None:
        vevent.add("RECURRENCE-ID", _moment(event.recurrence_id, zone))
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("SUMMARY", canonical_text(event.summary))
    for key, text in (("DESCRIPTION", event.description), ("LOCATION", event.location)):
        if canonical_text(text):
            vevent.add(key, canonical_text(text))
    vevent.add("STATUS", event.status)
    vevent.add("TRANSP", event.transparency)
    if event.private:
        vevent.add("CLASS", event.privacy)
    for line in event.recurrence:
        _add_recurrence(vevent, line, zone, event.uid)
    if event.organizer:
        vevent.add("ORGANIZER", _address(event.organizer))
    for attendee in event.attendees:
        params = {"PARTSTAT": _param(attendee.partstat)}
        if attendee.name:
            params["CN"] = _param(attendee.name)
        if attendee.role:
            params["ROLE"] = _param(attendee.role)
        vevent.add("ATTENDEE", _address(attendee.email), parameters=params)
    if event.categories:
        vevent.add("CATEGORIES", [canonical_text(c) for c in event.categories])
    if event.url:
        vevent.add("URL", canonical_text(event.url).replace("\n", ""))
    if event.last_modified:
        vevent.add("LAST-MODIFIED", event.last_modified.astimezone(UTC).replace(microsecond=0))
    return vevent


def _param(text: str) -> str:
    return " ".join(text.translate(_UNSAFE_PARAM).split())


def _address(email: str) -> icalendar.vCalAddress:
    return icalendar.vCalAddress("mailto:" + "".join(canonical_text(email).split()))


def _add_recurrence(vevent: icalendar.Event, line: str, zone: ZoneInfo | None, uid: str) -> None:
    """Write one ``RRULE:``/``RDATE:``/``EXDATE:`` line of ``Event.recurrence``."""
    head, _, value = line.partition(":")
    name, *raw_params = head.upper().split(";")
    params = dict(p.split("=", 1) for p in raw_params if "=" in p)
    try:
        if name == "RRULE":
            vevent.add("RRULE", vRecur.from_ical(value))
            return
        if name in ("RDATE", "EXDATE"):
            moment = vDDDTypes.from_ical(value, timezone=params.get("TZID"))
            if params.get("VALUE") == "DATE" and isinstance(moment, datetime):
                moment = moment.date()
            vevent.add(name, _moment(moment, zone))
            return
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(
            f"event {uid!r}: recurrence line {line[:80]!r} cannot be written ({exc}); "
            "fix the event's recurrence in the planning"
        ) from exc
    raise InvalidInputError(
        f"event {uid!r}: recurrence line {line[:80]!r} is not an RRULE, RDATE or EXDATE; "
        "fix the event's recurrence in the planning"
    )
