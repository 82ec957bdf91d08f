"""Busy-block expansion of a 20k-event feed in which 10 % of the events are weekly series, a
fifth of them with one occurrence moved and one cancelled (RECURRENCE-ID overrides, no EXDATE,
as Google exports them).

ponton's expansion (``series_occurrences`` over the parsed events, overrides applied, as the sync
writes busy blocks) against ``recurring_ical_events.of(calendar).between`` over the parsed
icalendar calendar of the same file — each given its own parsed form, one year window: at most
1.3x. Both must find the same number of busy occurrences.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from benchmarks import Figure, at_most
from ponton.ics import parse_calendar
from ponton.ics.limits import Limits
from ponton.sync.occurrences import series_occurrences

EVENTS = 20_000
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
ZONE = ZoneInfo("Europe/Paris")


def generate_feed(events: int = EVENTS) -> bytes:
    lines = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"]
    first = date(2026, 1, 5)
    for i in range(events):
        day = first + timedelta(days=i % 340)
        hour = 8 + i % 10
        uid = f"bench-{i}@example.com"
        when = f"DTSTART:{day:%Y%m%d}T{hour:02d}0000Z\r\nDTEND:{day:%Y%m%d}T{hour:02d}4500Z\r\n"
        recurring = i % 10 == 0
        rule = "RRULE:FREQ=WEEKLY;COUNT=12\r\n" if recurring else ""
        lines.append(
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{when}{rule}"
            f"SUMMARY:Réunion {i}\r\nSTATUS:CONFIRMED\r\nEND:VEVENT\r\n"
        )
        if recurring and i % 50 == 0:
            for week, status, shift in ((2, "CONFIRMED", 3), (4, "CANCELLED", 0)):
                original = day + timedelta(weeks=week)
                lines.append(
                    f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
                    f"RECURRENCE-ID:{original:%Y%m%d}T{hour:02d}0000Z\r\n"
                    f"DTSTART:{original:%Y%m%d}T{hour + shift:02d}0000Z\r\n"
                    f"DTEND:{original:%Y%m%d}T{hour + shift:02d}4500Z\r\n"
                    f"SUMMARY:Réunion {i}\r\nSTATUS:{status}\r\nEND:VEVENT\r\n"
                )
    lines.append("END:VCALENDAR\r\n")
    return "".join(lines).encode()


def _best(fn, repeats: int = 3) -> tuple[float, object]:
    runs, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - started)
    return min(runs), result


def run() -> list[Figure]:
    data = generate_feed()
    roomy = Limits(
        max_components=EVENTS * 2,
        max_properties=EVENTS * 20,
        max_total_occurrences=EVENTS * 20,
        max_total_rule_steps=EVENTS * 200,
        max_seconds=120,
    )
    parsed = parse_calendar(data, roomy, today=date(2026, 6, 1))
    assert not parsed.errors, parsed.errors[:3]
    calendar = icalendar.Calendar.from_ical(data)

    def ours() -> int:
        return sum(
            1 for event, _, _ in series_occurrences(parsed.events, *WINDOW, zone=ZONE) if event.busy
        )

    def reference() -> int:
        return sum(
            1
            for c in recurring_ical_events.of(calendar).between(*WINDOW)
            if str(c.get("STATUS", "CONFIRMED")) != "CANCELLED"
        )

    ponton_time, ponton_count = _best(ours)
    library_time, library_count = _best(reference)
    assert ponton_count == library_count, (ponton_count, library_count)
    return [
        at_most(
            "series 20k busy expansion / recurring_ical_events",
            ponton_time / library_time,
            1.3,
            "x",
        ),
        Figure("series 20k busy occurrences", ponton_count, "info", True),
    ]
