"""Recurring series in the Graph fake, as Graph documents them (learn.microsoft.com/graph:
event, patternedRecurrence, recurrencePattern, recurrenceRange, calendarView).

A POSTed event with ``recurrence`` is stored as ``type: seriesMaster``; the events collection and
``GET /events/{id}`` return the master, while ``calendarView`` (and its delta) returns the
occurrences inside the window (``type: occurrence``, ``seriesMasterId``, no ``recurrence``).
Occurrences are laid out here straight from the Graph fields with dateutil, independently of
ponton's own RRULE mapping, so a wrong mapping shows up as wrong occurrences.

Exceptions and deleted occurrences (https://learn.microsoft.com/graph/api/resources/event:
``type`` "occurrence" / "exception", ``seriesMasterId``, ``originalStart`` "always in UTC"):

* an occurrence updated through its own id becomes ``type: exception`` with the same id, its
  ``seriesMasterId`` and ``originalStart``, and is listed as such from then on ("Update event" on
  an occurrence id: https://learn.microsoft.com/answers/questions/499823);
* a deleted occurrence is simply absent from calendarView and from ``/instances`` ("the
  corresponding occurrence json object is simply removed":
  https://techcommunity.microsoft.com/discussions/officegraph/receiving-notification-for-deleted-non-series-master-events/2724556);
  v1.0 has no ``cancelledOccurrences`` / ``exceptionOccurrences`` on the master (they are beta
  only: https://learn.microsoft.com/graph/api/resources/event?view=graph-rest-beta), so this fake
  has none either;
* delta (https://learn.microsoft.com/graph/delta-query-events: removed instances are "their id
  and an @removed object") reports a deleted occurrence, and every occurrence of a deleted series
  inside the window, as ``@removed`` by id; the docs are silent on the master's own id, which
  calendarView never lists: the harsher reading leaves it out;
* occurrence ids: the docs only say ids are strings and read-only; the harsher reading makes them
  opaque (nothing of the date can be parsed out of them), stable per (master, original start).
* Editing the master's fields keeps its exceptions; the docs are silent on what a changed pattern
  does to them: they stay keyed by their original start and are listed only while the pattern
  still produces that start.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
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


def occurrence_id(master_id: str, original_start: str) -> str:
    """Opaque and stable per (master, original start): see the module docstring."""
    digest = hashlib.sha256(f"{master_id}|{original_start}".encode()).hexdigest()
    return "AAMkOcc" + digest[:40]


def original_start(local: datetime, zone) -> str:
    """``originalStart`` of an occurrence laid out at ``local`` (naive, the series' zone)."""
    return local.replace(tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def occurrence_row(item: dict[str, Any], local: datetime, zone) -> dict[str, Any]:
    """The ``type: occurrence`` row of the series at local start ``local``."""
    first = datetime.fromisoformat(item["start"]["dateTime"].split(".")[0])
    duration = datetime.fromisoformat(item["end"]["dateTime"].split(".")[0]) - first
    row = {
        k: v
        for k, v in item.items()
        if k not in ("recurrence", "transactionId", "singleValueExtendedProperties")
    }
    original = original_start(local, zone)
    return row | {
        "id": occurrence_id(item["id"], original),
        "type": "occurrence",
        "seriesMasterId": item["id"],
        "originalStart": original,
        "recurrence": None,
        "start": {"dateTime": local.strftime(_FORMAT), "timeZone": item["start"]["timeZone"]},
        "end": {
            "dateTime": (local + duration).strftime(_FORMAT),
            "timeZone": item["end"]["timeZone"],
        },
    }


def _overlaps(row: dict[str, Any], start: datetime, end: datetime, zone_of) -> bool:
    def at(raw: dict[str, str]) -> datetime:
        naive = datetime.fromisoformat(raw["dateTime"].split(".")[0])
        return naive.replace(tzinfo=zone_of(raw.get("timeZone"))).astimezone(UTC)

    return at(row["start"]) < end and at(row["end"]) > start


def occurrences(
    item: dict[str, Any],
    start: datetime,
    end: datetime,
    zone,
    *,
    exceptions: dict[str, dict] | None = None,
    cancelled=(),
    zone_of=None,
) -> list[dict]:
    """The rows calendarView and ``/instances`` return for a master inside [start, end): its
    occurrences, each replaced by its exception when it has one, deleted ones left out."""
    exceptions = exceptions or {}
    first = datetime.fromisoformat(item["start"]["dateTime"].split(".")[0])
    duration = datetime.fromisoformat(item["end"]["dateTime"].split(".")[0]) - first
    rows, seen = [], set()
    for local in series_starts(item, end + duration, zone):
        original = original_start(local, zone)
        seen.add(original)
        if original in cancelled:
            continue
        row = exceptions.get(original) or occurrence_row(item, local, zone)
        begins = local.replace(tzinfo=zone)
        if original in exceptions:
            if zone_of is None or _overlaps(row, start, end, zone_of):
                rows.append(row)
        elif begins < end and begins + duration > start:
            rows.append(row)
    # Exceptions moved later than the last laid-out start still show where they now are.
    for original, row in exceptions.items():
        later = original not in seen and original not in cancelled and zone_of is not None
        if later and _overlaps(row, start, end, zone_of) and _still_in_series(item, original, zone):
            rows.append(row)
    return rows


def _still_in_series(item: dict[str, Any], original: str, zone) -> bool:
    moment = datetime.fromisoformat(original.replace("Z", "+00:00")).astimezone(zone)
    local = moment.replace(tzinfo=None)
    return local in series_starts(item, moment, zone)
