"""Event <-> Google Calendar v3 event JSON.

Events ponton writes carry a client-set id derived from the platform uid (so a retried insert
hits 409 instead of creating a twin) and the uid itself in
``extendedProperties.private.ponton_uid`` (so a foreign event is told apart from ours).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ponton.calendars.backends.attendance import transparency_for
from ponton.errors import InvalidInputError
from ponton.model import Attendee, Event
from ponton.sync.port import RemoteEvent
from ponton.zones import iana_name, zone_info

UID_PROPERTY = "ponton_uid"
_MAX_ID = 1024
_PARTSTAT_TO_GOOGLE = {
    "NEEDS-ACTION": "needsAction",
    "ACCEPTED": "accepted",
    "DECLINED": "declined",
    "TENTATIVE": "tentative",
}
_GOOGLE_TO_PARTSTAT = {v: k for k, v in _PARTSTAT_TO_GOOGLE.items()}
_PRIVACY_TO_GOOGLE = {"PUBLIC": "default", "PRIVATE": "private", "CONFIDENTIAL": "confidential"}
_GOOGLE_TO_PRIVACY = {"default": "PUBLIC", "public": "PUBLIC"} | {
    v: k for k, v in _PRIVACY_TO_GOOGLE.items() if k != "PUBLIC"
}


def event_id_for(platform_uid: str) -> str:
    """The Google event id ponton uses for ``platform_uid``.

    Google accepts client ids of 5-1024 characters from the base32hex alphabet (``0-9a-v``). The
    uid is encoded as it is (reversible, readable in logs); an over-long uid is hashed instead.
    """
    encoded = base64.b32hexencode(platform_uid.encode()).decode().rstrip("=").lower()
    if 5 <= len(encoded) <= _MAX_ID:
        return encoded
    digest = hashlib.sha256(platform_uid.encode()).digest()
    return "h" + base64.b32hexencode(digest).decode().rstrip("=").lower()


def _moment(value: datetime | date, timezone: str | None) -> dict[str, str]:
    if isinstance(value, datetime):
        return {"dateTime": value.isoformat(), "timeZone": timezone or _zone_name(value) or "UTC"}
    return {"date": value.isoformat()}


def _zone_name(value: datetime) -> str | None:
    return getattr(value.tzinfo, "key", None)


def _recurrence_lines(event: Event) -> list[str]:
    return [line if ":" in line else f"RRULE:{line}" for line in event.recurrence]


def to_google(event: Event, platform_uid: str, *, write_attendees: bool = True) -> dict[str, Any]:
    """The body for ``events.insert``/``events.update``."""
    if event.recurrence_id is not None:
        raise InvalidInputError(
            f"event {platform_uid!r} overrides one occurrence of a series; ponton writes whole "
            "series and single events to Google, not single-occurrence overrides: edit the series "
            "or detach the occurrence into its own event"
        )
    body: dict[str, Any] = {
        "id": event_id_for(platform_uid),
        "summary": event.summary,
        "description": event.description,
        "location": event.location,
        "start": _moment(event.start, event.timezone),
        "end": _moment(event.end, event.timezone),
        "status": event.status.lower(),
        "transparency": event.transparency.lower(),
        "visibility": _PRIVACY_TO_GOOGLE[event.privacy],
        "sequence": event.sequence,
        "extendedProperties": {"private": {UID_PROPERTY: platform_uid}},
    }
    if event.recurrence:
        body["recurrence"] = _recurrence_lines(event)
    if write_attendees and event.attendees:
        body["attendees"] = [
            {
                "email": a.email,
                **({"displayName": a.name} if a.name else {}),
                "responseStatus": _PARTSTAT_TO_GOOGLE.get(a.partstat, "needsAction"),
            }
            for a in event.attendees
        ]
    return body


def _parse_moment(raw: dict[str, str], what: str, event_id: str) -> datetime | date:
    if "date" in raw:
        return date.fromisoformat(raw["date"])
    if "dateTime" not in raw:
        raise InvalidInputError(f"Google event {event_id!r}: {what} has neither date nor dateTime")
    moment = datetime.fromisoformat(raw["dateTime"])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(raw.get("timeZone")) or UTC)
    zone = _zone(raw.get("timeZone"))
    return moment.astimezone(zone) if zone else moment


def _zone(name: str | None) -> ZoneInfo | None:
    return zone_info(name)


def platform_uid_of(item: dict[str, Any]) -> str | None:
    return item.get("extendedProperties", {}).get("private", {}).get(UID_PROPERTY)


def is_cancelled(item: dict[str, Any]) -> bool:
    return item.get("status") == "cancelled"


def _owner_response(item: dict[str, Any]) -> str | None:
    """The calendar owner's answer: the attendee Google marks ``self``."""
    for attendee in item.get("attendees", ()):
        if attendee.get("self") and not attendee.get("organizer"):
            return _GOOGLE_TO_PARTSTAT.get(attendee.get("responseStatus", ""))
    return None


def from_google(
    item: dict[str, Any], warnings: list[str] | None = None, *, tentative_busy: bool = True
) -> RemoteEvent:
    """A listed or fetched event; ``uid`` is the platform uid for ours, the iCalUID otherwise.
    Google's ``dateTime`` carries its offset, so an unknown ``timeZone`` only loses the label:
    the event is kept (in UTC) and one line goes to ``warnings``."""
    event_id = item["id"]
    zone_name = item["start"].get("timeZone")
    known_zone = iana_name(zone_name)
    if zone_name and known_zone is None and warnings is not None:
        warnings.append(
            f"Google event {event_id!r}: time zone {zone_name!r} is unknown; kept in UTC"
        )
    platform_uid = platform_uid_of(item)
    start = _parse_moment(item["start"], "start", event_id)
    end = _parse_moment(item["end"], "end", event_id)
    updated = item.get("updated")
    event = Event(
        uid=platform_uid or item.get("iCalUID") or event_id,
        start=start,
        end=end,
        summary=item.get("summary", ""),
        description=item.get("description", ""),
        location=item.get("location", ""),
        timezone=known_zone or ("UTC" if zone_name else None),
        recurrence_id=(
            _parse_moment(item["originalStartTime"], "originalStartTime", event_id)
            if "originalStartTime" in item
            else None
        ),
        recurrence=tuple(item.get("recurrence", ())),
        status=item.get("status", "confirmed").upper(),
        transparency=transparency_for(
            item.get("transparency", "opaque").upper(),
            _owner_response(item),
            tentative_busy=tentative_busy,
        ),
        sequence=int(item.get("sequence", 0)),
        organizer=item.get("organizer", {}).get("email"),
        attendees=tuple(
            Attendee(
                email=a["email"],
                name=a.get("displayName"),
                partstat=_GOOGLE_TO_PARTSTAT.get(a.get("responseStatus", ""), "NEEDS-ACTION"),
            )
            for a in item.get("attendees", ())
            if a.get("email")
        ),
        url=item.get("htmlLink"),
        privacy=_GOOGLE_TO_PRIVACY.get(item.get("visibility", "default"), "PRIVATE"),
        response=next(
            (
                _GOOGLE_TO_PARTSTAT.get(a.get("responseStatus", ""), "NEEDS-ACTION")
                for a in item.get("attendees", ())
                if a.get("self")
            ),
            None,
        ),
        last_modified=datetime.fromisoformat(updated) if updated else None,
    )
    return RemoteEvent(event_id, event, etag=item.get("etag"), platform_uid=platform_uid)
