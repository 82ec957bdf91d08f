"""Parse an iCalendar file into ponton's :class:`~ponton.model.Event` model.

Real feeds are messy, so one bad VEVENT never sinks the calendar: it is left out and described in
``ParsedCalendar.errors`` (UID or line, cause). Only input that is not a calendar at all, or that
breaks a :class:`~ponton.ics.limits.Limits` bound for the whole file, raises
:class:`~ponton.errors.InvalidInputError`. Defects the reference libraries read through (no UID,
an empty RRULE, an end before the start...) are repaired by :mod:`ponton.ics.repair` and noted.

Normalisation: Google's ``X-WR-TIMEZONE`` is applied with ``x-wr-timezone``; Windows zone names
(Outlook) resolve to IANA zones through icalendar's own mapping; floating times and unknown TZIDs
are read in the calendar's zone (``X-WR-TIMEZONE``, else ``default_timezone``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone

from ponton.errors import InvalidInputError
from ponton.ics.blocks import calendar_bytes, with_derived_uids
from ponton.ics.guard import guard_recurrences
from ponton.ics.limits import Budget, Limits
from ponton.ics.repair import DERIVED_PARAM, repair_vevent
from ponton.model import STATUSES, TRANSPARENCIES, Attendee, Event
from ponton.privacy import privacy_of
from ponton.zones import iana_name

METHODS = ("PUBLISH", "REQUEST", "CANCEL", "REPLY")
_MARKER = re.compile(rb"^(BEGIN|END):([A-Za-z0-9-]+)[ \t]*\r?$", re.MULTILINE | re.IGNORECASE)


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


@dataclass
class ParsedCalendar:
    """What :func:`parse_calendar` returns.

    ``calendar`` is the normalised icalendar object holding only the accepted VEVENTs (and the
    VTIMEZONEs): :func:`ponton.ics.expand` expands it.
    """

    events: list[Event]
    errors: list[str]
    method: str | None
    name: str | None
    timezone: str
    replies: list[Reply] = field(default_factory=list)
    calendar: icalendar.Calendar | None = field(default=None, repr=False)
    #: The window the recurrence guard already checked: expanding inside it needs no new check.
    guarded: tuple[date, date] | None = None
    cancellations: list[Cancellation] = field(default_factory=list)
    #: UIDs derived for events that had none (see :mod:`ponton.ics.repair`), for the journal.
    derived_uids: list[str] = field(default_factory=list)


def parse_calendar(
    data: bytes,
    limits: Limits = Limits(),  # noqa: B008 - immutable
    *,
    default_timezone: str = "UTC",
    today: date | None = None,
    feed_lines: Sequence[int] | None = None,
) -> ParsedCalendar:
    """Parse ``data`` (one VCALENDAR) within ``limits``.

    ``default_timezone`` reads floating times when the calendar names no zone; ``today`` anchors
    the recurrence guard's window (``Limits.window_days_*``), default the current UTC date.
    ``feed_lines``: the line of each VEVENT in the published feed, when ``data`` was assembled
    from some of its blocks (:mod:`ponton.ics.blocks`).
    """
    data, lines, errors = _prescan(data, limits)
    budget = Budget(limits)
    budget.spend_on_raw(data)
    data = with_derived_uids(data, limits)
    lines = list(feed_lines) if feed_lines is not None else lines
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError, RecursionError) as exc:
        raise InvalidInputError(
            f"the input is not a usable iCalendar file ({_short(exc)}); "
            "check that the file or URL serves a .ics calendar"
        ) from exc
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        raise InvalidInputError(
            "the input holds no VCALENDAR; check that the file or URL serves a .ics calendar"
        )
    cal = calendars[0]
    for extra in calendars[1:]:
        cal.subcomponents.extend(extra.subcomponents)
    zone_name = _calendar_zone(cal, default_timezone, errors)
    unknown: dict[int, list[str]] = {}
    if cal.get("X-WR-TIMEZONE") and _zone_name(str(cal["X-WR-TIMEZONE"])) == zone_name:
        unknown = _unknown_tzids(cal, zone_name)  # x-wr-timezone silently rewrites them
        cal = x_wr_timezone.to_standard(cal, timezone=ZoneInfo(zone_name))
    method = str(cal.get("METHOD", "")).upper() or None
    name = str(cal["X-WR-CALNAME"]) if cal.get("X-WR-CALNAME") else None
    reader = _EventReader(ZoneInfo(zone_name), limits, cancelled=method == "CANCEL")
    kept: list[icalendar.Component] = []
    events: list[Event] = []
    replies: list[Reply] = []
    cancellations: list[Cancellation] = []
    vevents = iter(lines)
    for index, component in enumerate(cal.subcomponents):
        if component.name != "VEVENT":
            if component.name == "VTIMEZONE":
                kept.append(component)
            continue
        where = f"VEVENT at line {next(vevents, '?')}"
        budget.tick(where)
        # RFC 5546 lets a CANCEL or a REPLY omit DTSTART: what they name is read on its own.
        message = reader.message(component) if method in ("CANCEL", "REPLY") else None
        if message is not None and method == "CANCEL":
            cancellations.append(message)
        elif message is not None:
            replies.extend(_replies(message, component))
        try:
            event, notes = reader.read(component)
        except _Skipped as skipped:
            if message is None or "DTSTART" in component:
                errors.append(f"{where}: {skipped}; the event was skipped")
            continue
        notes = unknown.get(index, []) + notes
        errors.extend(f"{where} (UID {event.uid}): {note}" for note in notes)
        events.append(event)
        kept.append(component)
    normalised = icalendar.Calendar()
    for key, value in cal.property_items(recursive=False)[1:-1]:
        normalised.add(key, value)
    normalised.subcomponents = kept
    window = _guard_window(today, limits)
    rejected = guard_recurrences(normalised, *window, limits, budget)
    if rejected:
        errors.extend(rejected.values())
        events = [e for e in events if e.uid not in rejected]
        normalised.subcomponents = [c for c in kept if str(c.get("UID", "")) not in rejected]
    return ParsedCalendar(
        events,
        errors,
        method,
        name,
        zone_name,
        replies,
        normalised,
        window,
        cancellations,
        derived_uids=[uid for uid in reader.derived if uid not in rejected],
    )


def _guard_window(today: date | None, limits: Limits) -> tuple[date, date]:
    today = today or datetime.now(UTC).date()
    return (
        today - timedelta(days=limits.window_days_back),
        today + timedelta(days=limits.window_days_ahead),
    )


def _prescan(data: bytes, limits: Limits) -> tuple[bytes, list[int], list[str]]:
    """Check size and shape on the raw bytes, drop components nested beyond ``max_depth``.

    Returns the bytes to parse, the line number of each kept top-level VEVENT in order (so errors
    can point at a line) and a note per dropped component. Cheap: one regex pass, no parsing.
    """
    data = calendar_bytes(data, limits)
    depth, line, last = 0, 1, 0
    top_start = top_line = 0
    too_deep = False
    drop: list[tuple[int, int]] = []
    notes: list[str] = []
    vevent_lines: list[int] = []
    vevents = 0
    for match in _MARKER.finditer(data):
        line += data.count(b"\n", last, match.start())
        last = match.start()
        if match[1].upper() == b"BEGIN":
            depth += 1
            if depth == 2:
                top_start, top_line, too_deep = match.start(), line, False
                if match[2].upper() == b"VEVENT":
                    vevents += 1
            too_deep = too_deep or depth > limits.max_depth
        else:
            if depth == 2:
                if too_deep:
                    drop.append((top_start, match.end()))
                    notes.append(
                        f"component at line {top_line}: nested deeper than {limits.max_depth} "
                        "levels; it was skipped"
                    )
                elif data[top_start + 6 : top_start + 12].upper() == b"VEVENT":
                    vevent_lines.append(top_line)
            depth = max(depth - 1, 0)
    if vevents > limits.max_components:
        raise InvalidInputError(
            f"the calendar holds {vevents} events, over the {limits.max_components}-event limit; "
            "split the feed or raise the binding's max_components option"
        )
    if drop:
        pieces, start = [], 0
        for begin, end in drop:
            pieces.append(data[start:begin])
            start = end
        pieces.append(data[start:])
        data = b"".join(pieces)
    if depth != 0 and not vevent_lines and vevents == 0:
        raise InvalidInputError(
            "the input is not a complete iCalendar file (BEGIN/END do not match and it holds no "
            "event); check that the download was not cut short"
        )
    return data, vevent_lines, notes


def _unknown_tzids(cal: icalendar.Calendar, zone: str) -> dict[int, list[str]]:
    """Notes for TZIDs icalendar could not resolve, by component index."""
    notes: dict[int, list[str]] = {}
    for index, component in enumerate(cal.subcomponents):
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
            prop = component.get(name) if component.name == "VEVENT" else None
            value = getattr(prop, "dt", None)
            tzid = getattr(prop, "params", {}).get("TZID")
            if isinstance(value, datetime) and value.tzinfo is None and tzid:
                notes.setdefault(index, []).append(
                    f"unknown TZID {str(tzid)[:60]!r} on {name}; read in {zone}"
                )
    return notes


class _Skipped(Exception):
    """A VEVENT that cannot be imported; the message says why."""


def _calendar_zone(cal: icalendar.Calendar, default: str, errors: list[str]) -> str:
    for candidate in (cal.get("X-WR-TIMEZONE"), default):
        if not candidate:
            continue
        name = _zone_name(str(candidate))
        if name:
            return name
        errors.append(f"calendar time zone {str(candidate)[:60]!r} is unknown; it was ignored")
    return "UTC"


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return text[:160]


def _email(value: Any) -> str:
    text = str(value).strip()
    return text[7:] if text.lower().startswith("mailto:") else text


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _replies(named: Cancellation, vevent: icalendar.Component) -> list[Reply]:
    return [
        Reply(
            named.uid,
            email,
            str(value.params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
            named.recurrence_id,
        )
        for value in _as_list(vevent.get("ATTENDEE"))
        if (email := _email(value))
    ]


class _EventReader:
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
            except (_Skipped, ValueError, TypeError, AttributeError):
                return None
        return Cancellation(uid, recurrence_id, _int(vevent.get("SEQUENCE")))

    def read(self, vevent: icalendar.Component) -> tuple[Event, list[str]]:
        notes: list[str] = []
        uid = str(vevent.get("UID", "")).strip()
        if not uid:
            raise _Skipped("it has no UID")
        if vevent["UID"].params.pop(DERIVED_PARAM, None):
            self.derived.append(uid)
            notes.append("it has no UID; this UID was derived from DTSTART and SUMMARY")
        notes.extend(repair_vevent(vevent))
        if len(uid) > 255:
            raise _Skipped(f"UID {uid[:40]!r}... is longer than 255 characters")
        try:
            return self._read(uid, vevent, notes), notes
        except _Skipped as exc:
            raise _Skipped(f"UID {uid}: {exc}") from None
        except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
            raise _Skipped(f"UID {uid}: {_short(exc)}") from None

    def _read(self, uid: str, vevent: icalendar.Component, notes: list[str]) -> Event:
        if "DTSTART" not in vevent:
            raise _Skipped("it has no DTSTART")
        start, zone = self._moment(vevent, "DTSTART", notes)
        end = self._end(vevent, start, notes)
        recurrence_id = None
        if "RECURRENCE-ID" in vevent:
            if str(vevent["RECURRENCE-ID"].params.get("RANGE", "")).upper() == "THISANDFUTURE":
                raise _Skipped(
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
            organizer=_email(organizer) if organizer else None,
            attendees=tuple(self._attendees(vevent)),
            categories=tuple(
                str(c) for value in _as_list(vevent.get("CATEGORIES")) for c in value.cats
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
                raise _Skipped(f"{name} is not a date or a date-time")
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
            raise _Skipped(f"it ends ({end}) before it starts ({start})")
        return end

    def _recurrence(self, vevent: icalendar.Component) -> tuple[str, ...]:
        lines = [f"RRULE:{rule.to_ical().decode()}" for rule in _as_list(vevent.get("RRULE"))]
        for name in ("RDATE", "EXDATE"):
            for prop in _as_list(vevent.get(name)):
                for value in prop.dts:
                    moment = value.dt[0] if isinstance(value.dt, tuple) else value.dt
                    lines.append(recurrence_line(name, self._aware(moment)))
        return tuple(lines)

    def _attendees(self, vevent: icalendar.Component):
        for value in _as_list(vevent.get("ATTENDEE")):
            email = _email(value)
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
    return _zone_name(str(tzid))


def _zone_name(name: str) -> str | None:
    """The IANA name for an IANA, Windows or vendor-prefixed zone name, None when none is known."""
    return iana_name(name)


def _int(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
