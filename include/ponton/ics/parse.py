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
from zoneinfo import ZoneInfo

import icalendar
import x_wr_timezone

from ponton.errors import InvalidInputError
from ponton.ics.blocks import calendar_bytes, with_derived_uids
from ponton.ics.guard import guard_recurrences
from ponton.ics.limits import Budget, Limits
from ponton.ics.vevent import (
    Cancellation,
    EventReader,
    Reply,
    SkippedEvent,
    as_list,
    mailto_address,
    short_error,
)
from ponton.model import Event
from ponton.zones import iana_name

METHODS = ("PUBLISH", "REQUEST", "CANCEL", "REPLY")
_MARKER = re.compile(rb"^(BEGIN|END):([A-Za-z0-9-]+)[ \t]*\r?$", re.MULTILINE | re.IGNORECASE)


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
            f"the input is not a usable iCalendar file ({short_error(exc)}); "
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
    if cal.get("X-WR-TIMEZONE") and iana_name(str(cal["X-WR-TIMEZONE"])) == zone_name:
        unknown = _unknown_tzids(cal, zone_name)  # x-wr-timezone silently rewrites them
        cal = x_wr_timezone.to_standard(cal, timezone=ZoneInfo(zone_name))
    method = str(cal.get("METHOD", "")).upper() or None
    name = str(cal["X-WR-CALNAME"]) if cal.get("X-WR-CALNAME") else None
    reader = EventReader(ZoneInfo(zone_name), limits, cancelled=method == "CANCEL")
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
        except SkippedEvent as skipped:
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


def _calendar_zone(cal: icalendar.Calendar, default: str, errors: list[str]) -> str:
    for candidate in (cal.get("X-WR-TIMEZONE"), default):
        if not candidate:
            continue
        name = iana_name(str(candidate))
        if name:
            return name
        errors.append(f"calendar time zone {str(candidate)[:60]!r} is unknown; it was ignored")
    return "UTC"


def _replies(named: Cancellation, vevent: icalendar.Component) -> list[Reply]:
    return [
        Reply(
            named.uid,
            email,
            str(value.params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
            named.recurrence_id,
        )
        for value in as_list(vevent.get("ATTENDEE"))
        if (email := mailto_address(value))
    ]
