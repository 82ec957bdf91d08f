"""RFC 5545 RRULE <-> Microsoft Graph ``patternedRecurrence``.

Graph can hold one pattern (daily, weekly, absolute/relative monthly or yearly) with an interval,
and one range (``numbered``, ``endDate`` or ``noEnd``) starting on the series' first day. EXDATE
lines are left to the backend, which deletes those occurrences. Anything else (BYHOUR, BYWEEKNO,
several BYMONTHDAYs, RDATE, a second RRULE...) is refused per write with an ``InvalidInputError``
naming the event and the part, rather than written as something else.

Rules are read back in one canonical form (RFC key order, as icalendar writes them; INTERVAL=1 and
WKST=MO left out), so a rule written in that form hashes the same after the round trip.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ponton.errors import InvalidInputError

DAYS = {
    "MO": "monday",
    "TU": "tuesday",
    "WE": "wednesday",
    "TH": "thursday",
    "FR": "friday",
    "SA": "saturday",
    "SU": "sunday",
}
GRAPH_DAYS = {name: code for code, name in DAYS.items()}
INDEXES = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
GRAPH_INDEXES = {name: number for number, name in INDEXES.items()}
SUPPORTED_KEYS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
}
_DAY_ORDER = list(DAYS)


def _refuse(uid: str, part: str, why: str) -> InvalidInputError:
    return InvalidInputError(
        f"event {uid!r}: Outlook cannot hold the recurrence part {part!r} ({why}); simplify the "
        "rule on the platform (one RRULE of daily/weekly/monthly/yearly with at most one "
        "BYMONTHDAY, BYMONTH and BYSETPOS) or keep this binding's planning out of Outlook"
    )


def _parse(uid: str, lines: tuple[str, ...]) -> dict[str, str]:
    rules = []
    for line in lines:
        name, _, value = line.partition(":") if ":" in line else ("RRULE", "", line)
        head = name.split(";")[0].upper()
        if head == "EXDATE":
            continue  # written as deleted occurrences (ponton.calendars.backends.outlook_series)
        if head != "RRULE":
            raise _refuse(uid, line, f"Graph has no {head}")
        rules.append(value)
    if len(rules) != 1:
        raise _refuse(uid, " + ".join(rules), "Graph holds exactly one RRULE per series")
    parts: dict[str, str] = {}
    for item in rules[0].split(";"):
        key, _, value = item.partition("=")
        key = key.strip().upper()
        if key not in SUPPORTED_KEYS | {"WKST"}:
            raise _refuse(uid, item, f"Graph has no {key}")
        parts[key] = value.strip().upper()
    return parts


def _int(uid: str, parts: dict[str, str], key: str) -> int | None:
    if key not in parts:
        return None
    raw = parts[key]
    if "," in raw or not raw.lstrip("-").isdigit():
        raise _refuse(uid, f"{key}={raw}", "Graph takes a single number here")
    return int(raw)


def _local_start(start: datetime | date, zone: ZoneInfo) -> datetime | date:
    return start.astimezone(zone) if isinstance(start, datetime) else start


def to_patterned(
    uid: str, lines: tuple[str, ...], start: datetime | date, zone_name: str, zone: ZoneInfo
) -> dict[str, Any]:
    """The ``recurrence`` of a Graph event body for ``lines``, starting at ``start`` (the series
    is laid out in ``zone``, which Graph knows as ``zone_name``)."""
    parts = _parse(uid, lines)
    first = _local_start(start, zone)
    first_day = first.date() if isinstance(first, datetime) else first
    freq = parts.get("FREQ", "")
    interval = _int(uid, parts, "INTERVAL") or 1
    days: list[tuple[int | None, str]] = []
    for raw in filter(None, parts.get("BYDAY", "").split(",")):
        ordinal, code = raw[:-2], raw[-2:]
        if code not in DAYS or (ordinal and not ordinal.lstrip("+-").isdigit()):
            raise _refuse(uid, f"BYDAY={parts['BYDAY']}", "not a weekday list")
        days.append((int(ordinal) if ordinal else None, code))
    month_day = _int(uid, parts, "BYMONTHDAY")
    month = _int(uid, parts, "BYMONTH")
    setpos = _int(uid, parts, "BYSETPOS")
    if month_day is not None and not 1 <= month_day <= 31:
        raise _refuse(uid, f"BYMONTHDAY={month_day}", "Graph counts days from the 1st only")
    pattern: dict[str, Any] = {"interval": interval}
    if freq == "DAILY":
        for key in ("BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS"):
            if key in parts:
                raise _refuse(uid, f"{key}={parts[key]}", "a daily Graph pattern has no filter")
        pattern["type"] = "daily"
    elif freq == "WEEKLY":
        for key in ("BYMONTHDAY", "BYMONTH", "BYSETPOS"):
            if key in parts:
                raise _refuse(uid, f"{key}={parts[key]}", "a weekly Graph pattern has days only")
        if any(ordinal is not None for ordinal, _ in days):
            raise _refuse(uid, f"BYDAY={parts['BYDAY']}", "weekly days carry no position")
        codes = [code for _, code in days] or [_DAY_ORDER[first_day.weekday()]]
        pattern |= {
            "type": "weekly",
            "daysOfWeek": [DAYS[c] for c in codes],
            "firstDayOfWeek": DAYS[parts.get("WKST", "MO")],
        }
    elif freq in ("MONTHLY", "YEARLY"):
        yearly = freq == "YEARLY"
        if yearly:
            pattern["month"] = month or first_day.month
        elif month is not None:
            raise _refuse(uid, f"BYMONTH={month}", "a monthly Graph pattern has no month")
        if days:
            index = _relative_index(uid, parts, days, setpos)
            pattern |= {
                "type": "relativeYearly" if yearly else "relativeMonthly",
                "daysOfWeek": [DAYS[code] for _, code in days],
                "index": INDEXES[index],
            }
        else:
            if setpos is not None:
                raise _refuse(uid, f"BYSETPOS={setpos}", "BYSETPOS needs BYDAY")
            pattern |= {
                "type": "absoluteYearly" if yearly else "absoluteMonthly",
                "dayOfMonth": month_day or first_day.day,
            }
    else:
        raise _refuse(uid, f"FREQ={freq}", "Graph repeats daily, weekly, monthly or yearly")
    if "WKST" in parts and freq != "WEEKLY":
        raise _refuse(uid, f"WKST={parts['WKST']}", "Graph uses a week start in weekly rules only")
    return {"pattern": pattern, "range": _range(uid, parts, first, first_day, zone, zone_name)}


def _relative_index(
    uid: str, parts: dict[str, str], days: list[tuple[int | None, str]], setpos: int | None
) -> int:
    ordinals = {ordinal for ordinal, _ in days}
    if len(days) == 1 and None not in ordinals and setpos is None:
        index = days[0][0]
    elif ordinals == {None} and setpos is not None:
        index = setpos
    else:
        raise _refuse(
            uid,
            f"BYDAY={parts['BYDAY']}",
            "Graph takes one positioned weekday (2TH) or weekdays with one BYSETPOS",
        )
    if index not in INDEXES:
        raise _refuse(uid, f"position {index}", "Graph positions are 1 to 4 or -1 (last)")
    return index


def _range(uid, parts, first, first_day: date, zone: ZoneInfo, zone_name: str) -> dict[str, Any]:
    result: dict[str, Any] = {"startDate": first_day.isoformat(), "recurrenceTimeZone": zone_name}
    count = _int(uid, parts, "COUNT")
    if count is not None and "UNTIL" in parts:
        raise _refuse(uid, "COUNT+UNTIL", "RFC 5545 allows only one of them")
    if count is not None:
        if count < 1:
            raise _refuse(uid, f"COUNT={count}", "Graph needs a positive count")
        return result | {"type": "numbered", "numberOfOccurrences": count}
    if "UNTIL" in parts:
        return result | {"type": "endDate", "endDate": _end_date(uid, parts["UNTIL"], first, zone)}
    return result | {"type": "noEnd"}


def _end_date(uid: str, raw: str, first: datetime | date, zone: ZoneInfo) -> str:
    """The last local day an occurrence can start on: UNTIL is inclusive of its instant."""
    try:
        if "T" not in raw:
            return datetime.strptime(raw, "%Y%m%d").date().isoformat()
        moment = datetime.strptime(raw.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise _refuse(uid, f"UNTIL={raw}", "not an RFC 5545 date or date-time") from exc
    local = moment.replace(tzinfo=UTC) if raw.endswith("Z") else moment.replace(tzinfo=zone)
    local = local.astimezone(zone)
    last = local.date()
    if isinstance(first, datetime) and local.time() < first.time():
        last -= timedelta(days=1)
    return last.isoformat()


def to_rrule(event_id: str, recurrence: dict[str, Any], start: datetime | date) -> str:
    """The canonical RRULE line for a Graph ``patternedRecurrence`` of a series starting at
    ``start`` (a local datetime in the series' zone, or a date for all-day series)."""
    pattern, span = recurrence.get("pattern") or {}, recurrence.get("range") or {}
    kind = pattern.get("type")
    freq = {
        "daily": "DAILY",
        "weekly": "WEEKLY",
        "absoluteMonthly": "MONTHLY",
        "relativeMonthly": "MONTHLY",
        "absoluteYearly": "YEARLY",
        "relativeYearly": "YEARLY",
    }.get(kind)
    if freq is None:
        raise InvalidInputError(f"Graph event {event_id!r}: unknown recurrence pattern {kind!r}")
    parts = [f"FREQ={freq}"]
    if span.get("type") == "numbered":
        parts.append(f"COUNT={int(span['numberOfOccurrences'])}")
    elif span.get("type") == "endDate":
        last = date.fromisoformat(span["endDate"])
        if isinstance(start, datetime):
            until = datetime.combine(last, start.time(), tzinfo=start.tzinfo).astimezone(UTC)
            parts.append(f"UNTIL={until.strftime('%Y%m%dT%H%M%SZ')}")
        else:
            parts.append(f"UNTIL={last.strftime('%Y%m%d')}")
    interval = int(pattern.get("interval") or 1)
    if interval != 1:
        parts.append(f"INTERVAL={interval}")
    codes = [GRAPH_DAYS[d] for d in pattern.get("daysOfWeek") or ()]
    if kind == "weekly":
        parts.append("BYDAY=" + ",".join(codes))
    elif kind.startswith("relative"):
        index = GRAPH_INDEXES.get(pattern.get("index") or "first", 1)
        if len(codes) == 1:
            parts.append(f"BYDAY={index}{codes[0]}")
        else:
            parts.append("BYDAY=" + ",".join(codes))
    elif kind.startswith("absolute"):
        parts.append(f"BYMONTHDAY={int(pattern['dayOfMonth'])}")
    if kind.endswith("Yearly"):
        parts.append(f"BYMONTH={int(pattern['month'])}")
    if kind.startswith("relative") and len(codes) > 1:
        parts.append(f"BYSETPOS={index}")
    week_start = pattern.get("firstDayOfWeek") or "sunday"
    if kind == "weekly" and week_start != "monday":
        parts.append(f"WKST={GRAPH_DAYS[week_start]}")
    return "RRULE:" + ";".join(parts)
