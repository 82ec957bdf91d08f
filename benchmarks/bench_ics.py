"""ICS import cost on a 20k-event feed generated at run time, all through
``IcsFeedCalendar.list_changes`` as a sync does:

* first import against a bare ``icalendar.Calendar.from_ical`` + ``recurring_ical_events``
  expansion of the same bytes over the same window: at most 1.3x;
* re-import of an unchanged feed (only DTSTAMP regenerated, as Google does on every download):
  at most 5 % of the first import (the feed-hash fast path);
* re-import after one SUMMARY changed: at most 10 % of the first import (only the changed block
  is parsed);
* peak RSS of a first import of a 50k-event feed, in a fresh interpreter: at most 300 MB.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import recurring_ical_events

from benchmarks import Figure, at_most
from ponton.calendars.backends.ics import IcsFeedCalendar
from ponton.ics import Limits

EVENTS = 20_000
RSS_EVENTS = 50_000
# Above the default event limit: a big feed whose binding raised its limits.
LIMITS = Limits(max_components=RSS_EVENTS, max_properties=15 * RSS_EVENTS)
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
TZ = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def generate_feed(stamp: str, events: int = EVENTS, edited: int | None = None) -> bytes:
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
            f"{head}{when}{rule}SUMMARY:Réunion {i}\\, équipe {i % 17}{'!' * (i == edited)}\r\n"
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

        def reimport(edited: int | None):
            # A new download: DTSTAMP regenerated, so the file (and its etag) differ.
            stamp = f"202602{next(regenerated) % 28 + 1:02d}T000000Z"
            path.write_bytes(generate_feed(stamp, edited=edited))
            started = time.perf_counter()
            changes = calendar.list_changes(cursor, *WINDOW)
            elapsed = time.perf_counter() - started
            assert not changes.full and len(changes.events) == (edited is not None)
            return elapsed

        again = min(reimport(None) for _ in range(2))
        one_change = min(reimport(edited) for edited in (7_001, 13_003))
        bare = _best(lambda: _bare_import(data), repeats=1)
        rss = _first_import_peak_rss(Path(tmp) / "large.ics")
    return [
        at_most("ics 20k first import / bare icalendar parse + expansion", first / bare, 1.3, "x"),
        at_most("ics 20k re-import unchanged / first import", again / first * 100, 5, "%"),
        at_most(
            "ics 20k re-import one event changed / first import", one_change / first * 100, 10, "%"
        ),
        at_most("ics 50k first import peak RSS (MB)", rss, 300, "MB"),
        Figure("ics 20k first import (s)", round(first, 3), "info", True, "s"),
    ]


def _bare_import(data: bytes) -> int:
    calendar = icalendar.Calendar.from_ical(data)
    return len(list(recurring_ical_events.of(calendar).between(*WINDOW)))


def _first_import_peak_rss(path: Path) -> float:
    """Peak RSS (MB) of a fresh interpreter importing a ``RSS_EVENTS``-event feed once."""
    path.write_bytes(generate_feed("20260101T000000Z", events=RSS_EVENTS))
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_ics", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(child.stdout.strip())


def _import_once(path: str) -> None:
    changes = IcsFeedCalendar(path, limits=LIMITS).list_changes(None, *WINDOW)
    assert len(changes.events) == RSS_EVENTS
    # VmHWM, not ru_maxrss: Linux carries the forking parent's peak into ru_maxrss across exec.
    status = Path("/proc/self/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    print(round(peak_kb / 1024, 1))


if __name__ == "__main__":
    _import_once(sys.argv[1])
