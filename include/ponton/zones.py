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
    """The IANA name for an IANA, Windows or vendor-prefixed zone name; None when none is known."""
    if not name:
        return None
    for candidate in zone_candidates(name, WINDOWS_TO_OLSON):
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


def zone_candidates(name: str, windows_zones: dict[str, str]) -> list[str]:
    """Names to try, in order, for a TZID: itself, its Windows mapping, then its trailing
    ``Area/City`` or ``Area/Region/City`` parts, which is how icalendar reads the globally unique
    TZIDs of Lightning (``/mozilla.org/20050126_1/Europe/Berlin``) and Evolution
    (``/softwarestudio.org/Olson_20011030_5/America/New_York``)."""
    bare = name.strip().strip("/")
    candidates = [bare, windows_zones.get(bare, "")]
    parts = bare.split("/")
    if len(parts) > 2:
        candidates.extend("/".join(parts[-size:]) for size in (3, 2))
    return [c for c in candidates if c]
