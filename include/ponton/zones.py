"""Time zone names as calendars send them -> IANA, one mapping for every backend.

Windows names (Outlook, Exchange, some ICS producers) are mapped with the CLDR ``windowsZones``
table as icalendar ships it (maintained upstream with CLDR), so every Windows zone of that table is
known. An unknown name is not an error here: callers keep the event in UTC and report it.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON


@cache
def iana_name(name: str | None) -> str | None:
    """The IANA name for an IANA or Windows zone name; None when neither is known."""
    if not name:
        return None
    for candidate in (name.strip("/"), WINDOWS_TO_OLSON.get(name.strip("/"))):
        if not candidate:
            continue
        try:
            ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return candidate
    return None


def zone_info(name: str | None) -> ZoneInfo | None:
    """The ZoneInfo for an IANA or Windows zone name; None when neither is known."""
    known = iana_name(name)
    return ZoneInfo(known) if known else None


@cache
def windows_names() -> dict[str, str]:
    """IANA -> the first Windows name CLDR maps to it (for peers that answer Windows names)."""
    names: dict[str, str] = {}
    for windows, iana in WINDOWS_TO_OLSON.items():
        names.setdefault(iana, windows)
    return names
