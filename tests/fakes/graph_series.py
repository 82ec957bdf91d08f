"""Recurring series in the Graph fake, as Graph documents them (learn.microsoft.com/graph:
event, patternedRecurrence, recurrencePattern, recurrenceRange, calendarView).

A POSTed event with ``recurrence`` is stored as ``type: seriesMaster``; the events collection and
``GET /events/{id}`` return the master, while ``calendarView`` (and its delta) returns the
occurrences inside the window (``type: occurrence``, ``seriesMasterId``, no ``recurrence``).
Occurrences are laid out here straight from the Graph fields with dateutil, independently of
ponton's own RRULE mapping, so a wrong mapping shows up as wrong occurrences.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dateutil import rrule

_TYPES = {
    "daily": rrule.DAILY,
    "weekly": rrule.WEEKLY,
    "absoluteMonthly": rrule.MONTHLY,
    "relativeMonthly": rrule.MONTHLY,
    "absoluteYearly": rrule.YEARLY,
    "relativeYearly": rrule.YEARLY,
}
_DAYS = dict(
    zip(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU),
        strict=True,
    )
)
_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_REQUIRED = {
    "daily": (),
    "weekly": ("daysOfWeek", "firstDayOfWeek"),
    "absoluteMonthly": ("dayOfMonth",),
    "relativeMonthly": ("daysOfWeek",),
    "absoluteYearly": ("dayOfMonth", "month"),
    "relativeYearly": ("daysOfWeek", "month"),
}
_RANGE_REQUIRED = {"endDate": ("endDate",), "noEnd": (), "numbered": ("numberOfOccurrences",)}
_FORMAT = "%Y-%m-%dT%H:%M:%S.0000000"


def invalid_recurrence(body: dict[str, Any]) -> str | None:
    """Why Graph would refuse this ``recurrence`` (400 ErrorInvalidRequest), or None."""
    recurrence = body.get("recurrence")
    if not recurrence:
        return None
    pattern, span = recurrence.get("pattern") or {}, recurrence.get("range") or {}
    kind = pattern.get("type")
    if kind not in _REQUIRED or not pattern.get("interval"):
        return f"recurrence pattern type {kind!r} or interval is invalid"
    missing = [key for key in _REQUIRED[kind] if pattern.get(key) in (None, [], 0)]
    if span.get("type") not in _RANGE_REQUIRED or not span.get("startDate"):
        return "recurrence range type and startDate are required"
    missing += [key for key in _RANGE_REQUIRED[span["type"]] if not span.get(key)]
    if missing:
        return f"recurrence is missing {', '.join(missing)}"
    if span["startDate"] != body["start"]["dateTime"][:10]:
        return "recurrence range startDate must be the date of the event's start"
    return None


def series_starts(item: dict[str, Any], window_end: datetime, zone) -> list[datetime]:
    """Local start datetimes of the series' occurrences up to ``window_end``."""
    pattern, span = item["recurrence"]["pattern"], item["recurrence"]["range"]
    kind = pattern["type"]
    first = datetime.fromisoformat(item["start"]["dateTime"].split(".")[0])
    options: dict[str, Any] = {"dtstart": first, "interval": pattern["interval"]}
    days = [_DAYS[d] for d in pattern.get("daysOfWeek") or ()]
    if kind == "weekly":
        options |= {"byweekday": days, "wkst": _DAYS[pattern["firstDayOfWeek"]].weekday}
    elif kind.startswith("relative"):
        index = _INDEX[pattern.get("index") or "first"]
        options |= {"byweekday": days, "bysetpos": index}
    elif kind.startswith("absolute"):
        options["bymonthday"] = pattern["dayOfMonth"]
    if kind.endswith("Yearly"):
        options["bymonth"] = pattern["month"]
    if span["type"] == "numbered":
        options["count"] = span["numberOfOccurrences"]
    elif span["type"] == "endDate":
        options["until"] = datetime.combine(date.fromisoformat(span["endDate"]), first.time())
    limit = window_end.astimezone(zone).replace(tzinfo=None)
    return list(rrule.rrule(_TYPES[kind], **options).between(first, limit, inc=True))


def occurrences(item: dict[str, Any], start: datetime, end: datetime, zone) -> list[dict]:
    """The ``type: occurrence`` rows calendarView returns for a master, inside [start, end)."""
    first = datetime.fromisoformat(item["start"]["dateTime"].split(".")[0])
    duration = datetime.fromisoformat(item["end"]["dateTime"].split(".")[0]) - first
    rows = []
    for local in series_starts(item, end + duration, zone):
        begins = local.replace(tzinfo=zone)
        if not (begins < end and begins + duration > start):
            continue
        row = {
            k: v
            for k, v in item.items()
            if k not in ("recurrence", "transactionId", "singleValueExtendedProperties")
        }
        row |= {
            "id": f"{item['id']}OCC{local:%Y%m%d%H%M}",
            "type": "occurrence",
            "seriesMasterId": item["id"],
            "recurrence": None,
            "start": {"dateTime": local.strftime(_FORMAT), "timeZone": item["start"]["timeZone"]},
            "end": {
                "dateTime": (local + duration).strftime(_FORMAT),
                "timeZone": item["end"]["timeZone"],
            },
        }
        rows.append(row)
    return rows
