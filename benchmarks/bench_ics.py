"""ICS import cost on a 20k-event feed generated at run time.

* re-import of an unchanged feed (only DTSTAMP regenerated, as Google does on every download)
  against the first import, both through ``IcsFeedCalendar.list_changes``: the feed-hash fast
  path must make the re-import cost at most 5 % of the first;
* the first parse (``parse_calendar``: prescan, icalendar, normalisation, recurrence guard) against
  a bare ``icalendar.Calendar.from_ical`` of the same bytes: at most 2x.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar

from benchmarks import Figure, at_most
from ponton.calendars.backends.ics import IcsFeedCalendar
from ponton.ics import Limits, parse_calendar

EVENTS = 20_000
# Twice the default event limit: a big feed whose binding raised its limits.
LIMITS = Limits(max_components=EVENTS, max_properties=15 * EVENTS)
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
TZ = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def generate_feed(stamp: str, events: int = EVENTS) -> bytes:
    """A Google-shaped feed: timed events in Europe/Paris, all-day ones, some weekly series."""
    lines = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nX-WR-CALNAME:Bench\r\n", TZ]
    first = date(2026, 1, 5)
    for i in range(events):
        day = first + timedelta(days=i % 360)
        head = f"BEGIN:VEVENT\r\nUID:bench-{i}@example.com\r\nDTSTAMP:{stamp}\r\n"
        if i % 10 == 0:
            after = day + timedelta(days=1)
            when = f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\nDTEND;VALUE=DATE:{after:%Y%m%d}\r\n"
        else:
            hour = 8 + i % 10
            when = (
                f"DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T{hour:02d}0000\r\n"
                f"DTEND;TZID=Europe/Paris:{day:%Y%m%d}T{hour:02d}4500\r\n"
            )
        rule = "RRULE:FREQ=WEEKLY;COUNT=8\r\n" if i % 50 == 0 else ""
        lines.append(
            f"{head}{when}{rule}SUMMARY:Réunion {i}\\, équipe {i % 17}\r\n"
            f"DESCRIPTION:Ordre du jour {i}\\nPoint {i % 7}\r\nLOCATION:Salle {i % 9}\r\n"
            "STATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n"
        )
    lines.append("END:VCALENDAR\r\n")
    return "".join(lines).encode()


def _best(fn, repeats: int = 3) -> float:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return min(runs)


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feed.ics"
        path.write_bytes(generate_feed("20260101T000000Z"))
        data = path.read_bytes()
        calendar = IcsFeedCalendar(str(path), limits=LIMITS)
        cursor = None

        def first_import():
            nonlocal cursor
            changes = calendar.list_changes(None, *WINDOW)
            assert changes.full and len(changes.events) == EVENTS
            cursor = changes.cursor

        first = _best(first_import, repeats=1)
        regenerated = iter(range(100))

        def reimport():
            # A new download: DTSTAMP regenerated, so the file (and its etag) differ.
            path.write_bytes(generate_feed(f"202602{next(regenerated) % 28 + 1:02d}T000000Z"))
            started = time.perf_counter()
            changes = calendar.list_changes(cursor, *WINDOW)
            elapsed = time.perf_counter() - started
            assert not changes.full and not changes.events
            return elapsed

        again = min(reimport() for _ in range(2))
        bare = _best(lambda: icalendar.Calendar.from_ical(data), repeats=2)
        parse = _best(lambda: parse_calendar(data, LIMITS, today=date(2026, 6, 1)), repeats=2)
    return [
        at_most("ics 20k re-import unchanged / first import", again / first * 100, 5, "%"),
        at_most("ics 20k parse_calendar / bare icalendar parse", parse / bare, 2, "x"),
        Figure("ics 20k first import (s)", round(first, 3), "info", True, "s"),
    ]
