"""One calendar object holding a whole series: the master and its RECURRENCE-ID overrides.

CalDAV stores a series as one resource (RFC 4791 §4.1): writing one override, or the master,
rewrites that resource. These helpers replace or remove exactly one component and keep every
other one as the server holds it (X- properties, VALARMs, components ponton does not read).
"""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from ponton.errors import InvalidInputError
from ponton.ics.export import export_calendar
from ponton.model import Event, moment_key


def _component_key(component: icalendar.Component) -> str:
    if "RECURRENCE-ID" not in component:
        return ""
    value = component["RECURRENCE-ID"].dt
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # floating: as ponton's parser reads it without a zone
    return moment_key(value)


def _calendar(data: str | bytes) -> icalendar.Calendar:
    try:
        return icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as exc:
        raise InvalidInputError(f"the stored calendar object cannot be read ({exc})") from exc


def with_component(data: str | bytes, event: Event) -> str:
    """The object ``data`` with ``event``'s component (master or one override) in place of the
    one with the same recurrence id, or added; the other components unchanged."""
    calendar = _calendar(data)
    written = icalendar.Calendar.from_ical(export_calendar([event], "", method=None))
    key = moment_key(event.recurrence_id)
    kept = [
        c for c in calendar.subcomponents if not (c.name == "VEVENT" and _component_key(c) == key)
    ]
    zones = {str(c.get("TZID")) for c in kept if c.name == "VTIMEZONE"}
    for component in written.subcomponents:
        if component.name == "VTIMEZONE" and str(component.get("TZID")) in zones:
            continue
        kept.append(component)
    # Masters first: some servers and clients expect the series before its overrides.
    kept.sort(key=lambda c: (c.name != "VTIMEZONE", c.name == "VEVENT" and "RECURRENCE-ID" in c))
    calendar.subcomponents = kept
    return calendar.to_ical().decode()


def without_component(data: str | bytes, recurrence_id_key: str) -> str:
    """The object ``data`` without the override whose recurrence id is ``recurrence_id_key``
    (that occurrence is the series' own again)."""
    calendar = _calendar(data)
    calendar.subcomponents = [
        c
        for c in calendar.subcomponents
        if not (c.name == "VEVENT" and _component_key(c) == recurrence_id_key)
    ]
    return calendar.to_ical().decode()
