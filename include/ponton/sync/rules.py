"""Recurrence rules compared by meaning: the parts RFC 5545 takes from DTSTART written out.

A weekly rule without BYDAY repeats on DTSTART's weekday, a monthly one without BYDAY or
BYMONTHDAY on DTSTART's day of the month, a yearly one on DTSTART's month and day (RFC 5545
§3.3.10); INTERVAL=1 and WKST=MO are the defaults. Calendars that store a pattern rather than a
rule (Outlook) read such a rule back with those parts written out, so the two spellings are one
version for the sync, not an edit.
"""

from __future__ import annotations

from datetime import date, datetime

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DEFAULTS = {"INTERVAL": "1", "WKST": "MO"}


def canonical_rules(lines: tuple[str, ...] | list[str], start: datetime | date) -> list[str]:
    """``lines`` (RRULE, EXDATE, RDATE ...) sorted, each RRULE with its implied parts written."""
    return sorted(_canonical(line, start) for line in lines)


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
    return "RRULE:" + ";".join(f"{k}={v}" for k, v in sorted(parts.items()))
