"""How often a feed may be polled: the publisher's hint, unless the binding overrides it.

A feed states its own polling interval with ``REFRESH-INTERVAL;VALUE=DURATION:`` (RFC 7986,
section 5.7) or Microsoft's older ``X-PUBLISHED-TTL:``, which Outlook and Google honour; a
public holiday calendar says ``P1W``. ponton reads the hint from the calendar's own lines on every
download and does not fetch again before it has passed (conditional GET still applies after that).
The binding option ``refresh_interval`` (seconds) replaces the hint; ``0`` polls on every run.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from icalendar.prop import vDuration

_HINTS = (
    re.compile(rb"^REFRESH-INTERVAL(?:;[^:\r\n]*)?:[ \t]*([^\r\n]+)", re.MULTILINE | re.I),
    re.compile(rb"^X-PUBLISHED-TTL(?:;[^:\r\n]*)?:[ \t]*([^\r\n]+)", re.MULTILINE | re.I),
)
#: Only the calendar's own lines count: the hint precedes the first component.
_FIRST_COMPONENT = re.compile(rb"^BEGIN:(?!VCALENDAR)", re.MULTILINE | re.IGNORECASE)


def refresh_hint(data: bytes) -> timedelta | None:
    """The feed's polling hint (REFRESH-INTERVAL first, then X-PUBLISHED-TTL), None if absent
    or unreadable or not positive."""
    first = _FIRST_COMPONENT.search(data)
    header = data[: first.start()] if first else data
    for pattern in _HINTS:
        found = pattern.search(header)
        if not found:
            continue
        try:
            hint = vDuration.from_ical(found[1].decode("ascii", errors="replace").strip())
        except ValueError:
            continue
        if isinstance(hint, timedelta) and hint > timedelta(0):
            return hint
    return None


def refresh_due(
    fetched_at: datetime | None,
    hint: timedelta | None,
    override: timedelta | None,
    now: datetime,
) -> bool:
    """Whether the feed may be fetched again at ``now``; ``override`` wins over ``hint``."""
    wait = override if override is not None else hint
    return fetched_at is None or wait is None or now >= fetched_at + wait
