"""Recurrence rules compared by meaning: the parts RFC 5545 takes from DTSTART written out, and
UNTIL as the last occurrence it lets through.

A weekly rule without BYDAY repeats on DTSTART's weekday, a monthly one without BYDAY or
BYMONTHDAY on DTSTART's day of the month, a yearly one on DTSTART's month and day (RFC 5545
§3.3.10); INTERVAL=1 and WKST=MO are the defaults. Calendars that store a pattern rather than a
rule (Outlook) read such a rule back with those parts written out, so the two spellings are one
version for the sync, not an edit.

UNTIL bounds the occurrences inclusively, so every UNTIL from the last occurrence up to the next
one makes the same series: "until 31 December 23:59:59Z" and Outlook's "end date 31 December",
read back at the series' time of day, are one rule. UNTIL is compared as that last occurrence (in
UTC for a zoned start; DTSTART when the rule lets nothing else through, as DTSTART always counts
as the first instance); a date UNTIL under a timed start counts to the end of that day in the
start's zone, as calendars read it. A rule that cannot be read, or whose last occurrence lies
further than :data:`MAX_SCAN` occurrences away, is compared as written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import islice

from dateutil.rrule import rrulestr

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DEFAULTS = {"INTERVAL": "1", "WKST": "MO"}
MAX_SCAN = 5000  # occurrences walked to find the last one before UNTIL


def canonical_rules(lines: tuple[str, ...] | list[str], start: datetime | date) -> list[str]:
    """``lines`` (RRULE, EXDATE, RDATE ...) sorted, each RRULE with its implied parts written."""
    return sorted(_canonical(line, start) for line in lines)


@lru_cache(maxsize=4096)
def _canonical(line: str, start: datetime | date) -> str:
    name, sep, value = line.partition(":")
    if not sep:
        name, value = "RRULE", line
    if name.upper() != "RRULE":
        return line
    parts = dict(p.partition("=")[::2] for p in value.upper().split(";") if p)
    if any(not v for v in parts.values()):
        return line  # not a rule this can read: compared as written
    for key, default in _DEFAULTS.items():
        if parts.get(key) == default:
            del parts[key]
    freq = parts.get("FREQ")
    has = parts.keys().__contains__
    if freq == "WEEKLY" and not has("BYDAY"):
        parts["BYDAY"] = _WEEKDAYS[start.weekday()]
    elif freq == "MONTHLY" and not (has("BYDAY") or has("BYMONTHDAY")):
        parts["BYMONTHDAY"] = str(start.day)
    elif freq == "YEARLY" and not any(map(has, ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO"))):
        parts.setdefault("BYMONTH", str(start.month))
        parts["BYMONTHDAY"] = str(start.day)
    if has("UNTIL") and not has("COUNT"):  # both: not a rule RFC 5545 allows, kept as written
        parts["UNTIL"] = _last_until(parts, start)
    return "RRULE:" + ";".join(f"{k}={v}" for k, v in sorted(parts.items()))


def _last_until(parts: dict[str, str], start: datetime | date) -> str:
    """UNTIL written as the last occurrence it lets through; as written when that is unknown."""
    written = parts["UNTIL"]
    timed = isinstance(start, datetime)
    first = start if timed else datetime.combine(start, time())
    until = _instant(written, first, timed)
    if until is None:
        return written
    unbounded = ";".join(f"{k}={v}" for k, v in parts.items() if k != "UNTIL")
    try:
        rule = rrulestr(unbounded, dtstart=first).replace(until=until)
        occurrences = list(islice(rule, MAX_SCAN + 1))
    except (ValueError, TypeError, OverflowError):
        return written
    if len(occurrences) > MAX_SCAN:
        return written
    last = occurrences[-1] if occurrences else first  # DTSTART is always the first instance
    if not timed:
        return last.strftime("%Y%m%d")
    if last.tzinfo is None:
        return last.strftime("%Y%m%dT%H%M%S")
    return last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _instant(value: str, first: datetime, timed: bool) -> datetime | None:
    """UNTIL as a moment comparable with ``first`` (aware when it is): a UTC date-time, a
    floating one in the start's zone, a date to the end of that day under a timed start."""
    try:
        if "T" not in value:
            day = datetime.strptime(value, "%Y%m%d")
            moment = day + timedelta(days=1, microseconds=-1) if timed else day
            return moment.replace(tzinfo=first.tzinfo)
        if value.endswith("Z"):
            moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return moment if first.tzinfo else moment.replace(tzinfo=None)
        return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=first.tzinfo)
    except ValueError:
        return None
