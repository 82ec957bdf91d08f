"""Repairs for the defects published feeds carry, applied to a VEVENT before it is read.

Be as liberal in what is accepted as the reference libraries (icalendar, recurring-ical-events):
a defect that still leaves a meaningful event is repaired the way they read it and described in
a note, never a reason to skip the event.

* No UID (RFC 5545 requires one; many holiday and school generators omit it): a UID derived from
  the lines that identify the event (DTSTART with its TZID, SUMMARY, RECURRENCE-ID), never from
  DTSTAMP or anything else regenerated per download, so a re-import matches and an edit of any
  other field is an edit. Identical UID-less events in one calendar get ``-2``, ``-3``... in order.
  :mod:`ponton.ics.blocks` inserts it on the raw lines, marked with :data:`DERIVED_PARAM`.
* An empty or unreadable RRULE (``RRULE:``, ``FREQ=SOMETIMES``), RDATE or EXDATE value: dropped,
  the event reads as its remaining recurrence (often none). recurring-ical-events reads an empty
  RRULE the same way and skips a series with an unreadable one; ponton keeps the event.
* DTEND before DTSTART: the two are swapped, as recurring-ical-events reads them.
* DURATION and DTEND both present (RFC 5545 allows one): DTEND wins, as in recurring-ical-events.
"""

from __future__ import annotations

from datetime import date, datetime

import icalendar

#: The domain of every derived UID, so one is recognisable in the platform and in the journal.
DERIVED_UID_DOMAIN = "derived.ponton"
#: The parameter marking a UID line that :mod:`ponton.ics.blocks` inserted (never exported).
DERIVED_PARAM = "X-PONTON-DERIVED"


def repair_vevent(vevent: icalendar.Component) -> list[str]:
    """Repair ``vevent`` in place (so expansion reads the repaired event too); one note each."""
    notes = _repair_recurrence(vevent)
    notes.extend(_repair_end(vevent))
    return notes


def _repair_recurrence(vevent: icalendar.Component) -> list[str]:
    notes: list[str] = []
    for name in ("RRULE", "RDATE", "EXDATE"):
        if name not in vevent:
            continue
        values = vevent[name] if isinstance(vevent[name], list) else [vevent[name]]
        kept = [value for value in values if _readable(name, value)]
        if len(kept) == len(values):
            continue
        for value in values:
            if not _readable(name, value):
                notes.append(f"{name} {_text(value)[:60]!r} cannot be read; it was ignored")
        del vevent[name]
        if kept:
            vevent[name] = kept if len(kept) > 1 else kept[0]
    return notes


def _readable(name: str, value: object) -> bool:
    if isinstance(value, icalendar.vBroken):
        return False
    if name == "RRULE":
        return isinstance(value, icalendar.vRecur) and bool(value.get("FREQ"))
    return True


def _text(value: object) -> str:
    raw = value.to_ical() if hasattr(value, "to_ical") else value
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def _repair_end(vevent: icalendar.Component) -> list[str]:
    notes: list[str] = []
    if "DTEND" in vevent and "DURATION" in vevent:
        del vevent["DURATION"]
        notes.append("both DTEND and DURATION are set; DTEND was kept")
    if "DTSTART" not in vevent or "DTEND" not in vevent:
        return notes
    start, end = vevent["DTSTART"], vevent["DTEND"]
    if not _comparable(start.dt, end.dt):
        return notes
    if end.dt < start.dt:
        vevent["DTSTART"], vevent["DTEND"] = end, start
        notes.append(f"it ends ({end.dt}) before it starts ({start.dt}); the two were swapped")
    return notes


def _comparable(start: object, end: object) -> bool:
    """Both dates, or both date-times that are both aware or both floating."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (start.tzinfo is None) == (end.tzinfo is None)
    return (
        isinstance(start, date)
        and isinstance(end, date)
        and not isinstance(start, datetime)
        and not isinstance(end, datetime)
    )
