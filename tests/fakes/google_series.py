"""Recurring events in the Google Calendar fake, as Google documents them.

* A recurring event is one stored *master* (``recurrence`` lines); ``events.list`` with the
  default ``singleEvents=false`` returns the master when ANY of its instances overlaps
  ``timeMin``/``timeMax`` (timeMin bounds an event's end, timeMax its start):
  https://developers.google.com/calendar/api/v3/reference/events/list
* A changed instance is an *exception*: its own event with ``recurringEventId`` and
  ``originalStartTime``, listed separately beside the master; a cancelled instance is a stub
  ``{"id", "recurringEventId", "originalStartTime", "status": "cancelled"}`` (only those fields
  are guaranteed), and cancelled instances are listed even without ``showDeleted`` when
  ``singleEvents`` is false:
  https://developers.google.com/calendar/api/guides/recurringevents and
  https://developers.google.com/calendar/api/v3/reference/events (``status``)
* Instance ids are ``<master id>_<original start in UTC, basic format>`` (``_YYYYMMDD`` for
  all-day series); ``events.instances`` lays the series out with its exceptions applied:
  https://developers.google.com/calendar/api/v3/reference/events/instances
  (the id format is not documented; it is what Google answers and what clients see).

Instances are laid out with dateutil straight from the RRULE/EXDATE/RDATE lines, independently of
ponton's own expansion, so a wrong reading of a series shows up as wrong instances.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil import rrule


def moment(raw: dict[str, str]) -> datetime:
    """A start/end/originalStartTime value as an aware UTC datetime (dates at 00:00 UTC)."""
    if "date" in raw:
        return datetime.combine(date.fromisoformat(raw["date"]), datetime.min.time(), UTC)
    value = datetime.fromisoformat(raw["dateTime"])
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(raw.get("timeZone") or "UTC"))
    return value.astimezone(UTC)


def bounds(item: dict[str, Any]) -> tuple[datetime, datetime]:
    return moment(item["start"]), moment(item["end"])


def instance_id(master_id: str, original: dict[str, str]) -> str:
    if "date" in original:
        return f"{master_id}_{original['date'].replace('-', '')}"
    return f"{master_id}_{moment(original):%Y%m%dT%H%M%SZ}"


def _local_start(master: dict[str, Any]) -> datetime:
    raw = master["start"]
    if "date" in raw:
        return datetime.combine(date.fromisoformat(raw["date"]), datetime.min.time())
    value = datetime.fromisoformat(raw["dateTime"])
    zone = ZoneInfo(raw["timeZone"]) if raw.get("timeZone") else value.tzinfo
    return value.astimezone(zone)


def instance_starts(master: dict[str, Any], until: datetime) -> list[datetime]:
    """Local starts of the master's instances up to ``until`` (aware, or naive for dates)."""
    first = _local_start(master)
    lines = "\n".join(master.get("recurrence") or ())
    rules = rrule.rrulestr(lines, dtstart=first, forceset=True, unfold=True)
    limit = until if first.tzinfo else until.astimezone(UTC).replace(tzinfo=None)
    return list(rules.between(first, limit, inc=True))


def instances(
    master: dict[str, Any], exceptions: dict[str, dict[str, Any]], low: datetime, high: datetime
) -> list[dict[str, Any]]:
    """The master's instances overlapping [low, high), exceptions applied (cancelled included)."""
    all_day = "date" in master["start"]
    start, end = bounds(master)
    duration = end - start
    rows = []
    for local in instance_starts(master, high + duration):
        if all_day:
            original = {"date": local.date().isoformat()}
        else:
            original = {"dateTime": local.isoformat(), "timeZone": master["start"].get("timeZone")}
        row_id = instance_id(master["id"], original)
        if row_id in exceptions:
            row = exceptions[row_id]
        else:
            row = _generated(master, original, local, duration)
        if "start" in row:
            begins, ends = bounds(row)
        else:
            begins = moment(original)
            ends = begins + duration
        if begins < high and ends > low:
            rows.append(row)
    return rows


def _generated(master, original, local, duration: timedelta) -> dict[str, Any]:
    """An unchanged instance: the master's fields at its own time. Whether it carries the
    master's ``extendedProperties`` is not documented; the harsher reading leaves them out, so
    a client must know an instance by ``recurringEventId``, not by its own properties."""
    dropped = ("recurrence", "id", "extendedProperties")
    row = {k: v for k, v in master.items() if k not in dropped}
    if "date" in original:
        span = {
            "start": {"date": original["date"]},
            "end": {"date": (local.date() + duration).isoformat()},
        }
    else:
        zone = master["start"].get("timeZone")
        span = {
            "start": {"dateTime": local.isoformat(), "timeZone": zone},
            "end": {"dateTime": (local + duration).isoformat(), "timeZone": zone},
        }
    return (
        row
        | span
        | {
            "id": instance_id(master["id"], original),
            "recurringEventId": master["id"],
            "originalStartTime": original,
        }
    )


def any_instance_overlaps(master: dict[str, Any], low: datetime, high: datetime) -> bool:
    return bool(instances(master, {}, low, high))
