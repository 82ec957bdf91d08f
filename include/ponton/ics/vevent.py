"""One VEVENT read into ponton's :class:`~ponton.model.Event`, with notes on what was repaired.

:mod:`ponton.ics.parse` reads whole calendars and calls :class:`EventReader` per component; iTIP
messages name what they answer or cancel as :class:`Reply` and :class:`Cancellation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from ponton.ics.limits import Limits
from ponton.ics.repair import DERIVED_PARAM, repair_vevent
from ponton.model import STATUSES, TRANSPARENCIES, Attendee, Event
from ponton.privacy import privacy_of
from ponton.zones import iana_name


@dataclass(frozen=True, slots=True)
class Reply:
    """One attendee's answer from a ``METHOD:REPLY`` calendar (an iMIP reply)."""

    uid: str
    attendee: str
    partstat: str
    recurrence_id: datetime | date | None = None


@dataclass(frozen=True, slots=True)
class Cancellation:
    """What one VEVENT of a ``METHOD:CANCEL`` calendar names: a whole series or event
    (``recurrence_id`` None) or one occurrence. RFC 5546 §3.2.5 needs no DTSTART here."""

    uid: str
    recurrence_id: datetime | date | None = None
    sequence: int = 0


class SkippedEvent(Exception):
    """A VEVENT that cannot be imported; the message says why."""


def short_error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return text[:160]


def mailto_address(value: Any) -> str:
    text = str(value).strip()
    return text[7:] if text.lower().startswith("mailto:") else text


def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class EventReader:
    """Turns one VEVENT component into an :class:`Event` plus notes about what was repaired."""

    def __init__(self, zone: ZoneInfo, limits: Limits, *, cancelled: bool) -> None:
        self.zone = zone
        self.limits = limits
        self.cancelled = cancelled
        self.derived: list[str] = []

    def message(self, vevent: icalendar.Component) -> Cancellation | None:
        """The series or occurrence a CANCEL or REPLY component names (None without a UID)."""
        uid = str(vevent.get("UID", "")).strip()
        if not uid or len(uid) > 255:
            return None
        recurrence_id = None
        if "RECURRENCE-ID" in vevent:
            try:
                recurrence_id, _ = self._moment(vevent, "RECURRENCE-ID", [])
            except (SkippedEvent, ValueError, TypeError, AttributeError):
                return None
        return Cancellation(uid, recurrence_id, _int(vevent.get("SEQUENCE")))

    def read(self, vevent: icalendar.Component) -> tuple[Event, list[str]]:
        notes: list[str] = []
        uid = str(vevent.get("UID", "")).strip()
        if not uid:
            raise SkippedEvent("it has no UID")
        if vevent["UID"].params.pop(DERIVED_PARAM, None):
            self.derived.append(uid)
            notes.append("it has no UID; this UID was derived from DTSTART and SUMMARY")
        notes.extend(repair_vevent(vevent))
        if len(uid) > 255:
            raise SkippedEvent(f"UID {uid[:40]!r}... is longer than 255 characters")
        try:
            return self._read(uid, vevent, notes), notes
        except SkippedEvent as exc:
            raise SkippedEvent(f"UID {uid}: {exc}") from None
        except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
            raise SkippedEvent(f"UID {uid}: {short_error(exc)}") from None

    def _read(self, uid: str, vevent: icalendar.Component, notes: list[str]) -> Event:
        if "DTSTART" not in vevent:
            raise SkippedEvent("it has no DTSTART")
        start, zone = self._moment(vevent, "DTSTART", notes)
        end = self._end(vevent, start, notes)
        recurrence_id = None
        if "RECURRENCE-ID" in vevent:
            if str(vevent["RECURRENCE-ID"].params.get("RANGE", "")).upper() == "THISANDFUTURE":
                raise SkippedEvent(
                    "RECURRENCE-ID;RANGE=THISANDFUTURE (one edit for this and every later "
                    "occurrence) is not supported; split the series into two in the calendar "
                    "client instead"
                )
            recurrence_id, _ = self._moment(vevent, "RECURRENCE-ID", notes)
        description = str(vevent.get("DESCRIPTION", ""))
        if len(description) > self.limits.max_text_chars:
            notes.append(
                f"DESCRIPTION of {len(description)} characters cut to {self.limits.max_text_chars}"
            )
            description = description[: self.limits.max_text_chars]
        status = str(vevent.get("STATUS", "CONFIRMED")).upper()
        if self.cancelled:
            status = "CANCELLED"
        transparency = str(vevent.get("TRANSP", "OPAQUE")).upper()
        last_modified = vevent.get("LAST-MODIFIED")
        organizer = vevent.get("ORGANIZER")
        url = vevent.get("URL")
        return Event(
            uid=uid,
            start=start,
            end=end,
            summary=str(vevent.get("SUMMARY", "")),
            description=description,
            location=str(vevent.get("LOCATION", "")),
            timezone=zone,
            recurrence_id=recurrence_id,
            recurrence=self._recurrence(vevent),
            status=status if status in STATUSES else "CONFIRMED",
            transparency=transparency if transparency in TRANSPARENCIES else "OPAQUE",
            sequence=_int(vevent.get("SEQUENCE")),
            organizer=mailto_address(organizer) if organizer else None,
            attendees=tuple(self._attendees(vevent)),
            categories=tuple(
                str(c) for value in as_list(vevent.get("CATEGORIES")) for c in value.cats
            ),
            url=str(url) if url else None,
            privacy=privacy_of(vevent.get("CLASS")),
            last_modified=self._aware(last_modified.dt) if last_modified else None,
        )

    def _aware(self, value: datetime | date) -> datetime | date:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=self.zone)
        return value

    def _moment(
        self, vevent: icalendar.Component, name: str, notes: list[str]
    ) -> tuple[datetime | date, str | None]:
        prop = vevent[name]
        value = prop.dt
        tzid = prop.params.get("TZID")
        if not isinstance(value, datetime):
            if not isinstance(value, date):
                raise SkippedEvent(f"{name} is not a date or a date-time")
            return value, None
        if value.tzinfo is None:
            if tzid:
                notes.append(f"unknown TZID {str(tzid)[:60]!r} on {name}; read in {self.zone.key}")
            return value.replace(tzinfo=self.zone), self.zone.key
        iana = _iana_name(value, tzid)
        if iana and not isinstance(value.tzinfo, ZoneInfo):
            value = value.astimezone(ZoneInfo(iana))
        return value, iana

    def _end(
        self, vevent: icalendar.Component, start: datetime | date, notes: list[str]
    ) -> datetime | date:
        if "DTEND" in vevent:
            end, _ = self._moment(vevent, "DTEND", notes)
        elif "DURATION" in vevent:
            end = start + vevent["DURATION"].dt
        else:
            end = start if isinstance(start, datetime) else start + timedelta(days=1)
        if isinstance(start, datetime) != isinstance(end, datetime):
            notes.append("DTSTART and DTEND mix a date and a date-time; the end follows DTSTART")
            if isinstance(start, datetime):
                end = datetime.combine(end, start.timetz()) if end >= start.date() else start
            else:
                end = max(end.date(), start + timedelta(days=1))
        if end < start:
            raise SkippedEvent(f"it ends ({end}) before it starts ({start})")
        return end

    def _recurrence(self, vevent: icalendar.Component) -> tuple[str, ...]:
        lines = [f"RRULE:{rule.to_ical().decode()}" for rule in as_list(vevent.get("RRULE"))]
        for name in ("RDATE", "EXDATE"):
            for prop in as_list(vevent.get(name)):
                for value in prop.dts:
                    moment = value.dt[0] if isinstance(value.dt, tuple) else value.dt
                    lines.append(recurrence_line(name, self._aware(moment)))
        return tuple(lines)

    def _attendees(self, vevent: icalendar.Component):
        for value in as_list(vevent.get("ATTENDEE")):
            email = mailto_address(value)
            if not email:
                continue
            params = value.params
            yield Attendee(
                email=email,
                name=str(params["CN"]) if params.get("CN") else None,
                partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
                role=str(params["ROLE"]).upper() if params.get("ROLE") else None,
            )


def recurrence_line(name: str, moment: datetime | date) -> str:
    """The canonical RDATE/EXDATE line of one value: UTC for a date-time, VALUE=DATE for a date.

    One form on every side keeps ``Event.content_hash`` stable across import and export.
    """
    if isinstance(moment, datetime):
        return f"{name}:{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{name};VALUE=DATE:{moment:%Y%m%d}"


def _iana_name(value: datetime, tzid: Any) -> str | None:
    key = getattr(value.tzinfo, "key", None)
    if key:
        return key
    if value.tzinfo is UTC:
        return "UTC"
    if tzid is None:
        return None
    return iana_name(str(tzid))


def _int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
