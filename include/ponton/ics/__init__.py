"""ICS import and publish: parse, expand, hash, export, fetch feeds (no Airflow import).

The sync engine and the CLI call :func:`parse_calendar`, :func:`expand`, :func:`feed_hash`,
:func:`export_calendar` and :func:`fetch_feed`; the calendar backends built on them live in
:mod:`ponton.calendars.backends.ics` and :mod:`ponton.calendars.backends.caldav`.
"""

from ponton.ics.expand import Expansion, Occurrence, default_window, expand
from ponton.ics.export import export_calendar
from ponton.ics.fingerprint import feed_hash
from ponton.ics.limits import Limits
from ponton.ics.parse import ParsedCalendar, Reply, parse_calendar

__all__ = [
    "Expansion",
    "Limits",
    "Occurrence",
    "ParsedCalendar",
    "Reply",
    "default_window",
    "expand",
    "export_calendar",
    "feed_hash",
    "parse_calendar",
]
