"""Event <-> Google Calendar v3 event JSON.

Events ponton writes carry a client-set id derived from the platform uid (so a retried insert
hits 409 instead of creating a twin) and the uid itself in
``extendedProperties.private.ponton_uid`` (so a foreign event is told apart from ours).

An override of one occurrence is Google's *exception instance* of the series: it is addressed by
its instance id (:func:`instance_id_for`) and known by ``recurringEventId`` + ``originalStartTime``;
its series' uid is read from the master, never from the instance (which may lack the master's
extended properties). A cancelled instance is a stub carrying only its id, series and original
start: it reads as :func:`cancelled_occurrence`, the same value ponton records when it cancels one.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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


def instance_id_for(master_id: str, original: datetime | date) -> str:
    """The id Google gives the instance of series ``master_id`` originally starting at
    ``original``: ``<master id>_<UTC start, basic format>``, ``_<YYYYMMDD>`` for all-day series."""
    if isinstance(original, datetime):
        return f"{master_id}_{original.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{master_id}_{original:%Y%m%d}"


def series_id_of(instance_id: str) -> str | None:
    """The master's id of an instance id (event ids never hold ``_``), or None for a master."""
    master_id, sep, _ = instance_id.rpartition("_")
    return master_id if sep else None


def _moment(value: datetime | date, timezone: str | None) -> dict[str, str]:
    if isinstance(value, datetime):
        return {"dateTime": value.isoformat(), "timeZone": timezone or _zone_name(value) or "UTC"}
    return {"date": value.isoformat()}


def _zone_name(value: datetime) -> str | None:
    return getattr(value.tzinfo, "key", None)


def _recurrence_lines(event: Event) -> list[str]:
    return [line if ":" in line else f"RRULE:{line}" for line in event.recurrence]


def to_google(event: Event, platform_uid: str, *, write_attendees: bool = True) -> dict[str, Any]:
    """The body for ``events.insert``/``events.update``; for an override, the body of its
    instance (``originalStartTime`` is immutable: it names the occurrence, never moves it)."""
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
    if event.recurrence_id is not None:
        master_id = body["id"]
        body["id"] = instance_id_for(master_id, event.recurrence_id)
        body["recurringEventId"] = master_id
        body["originalStartTime"] = _moment(event.recurrence_id, event.timezone)
    elif event.recurrence:
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


def from_google(item: dict[str, Any], warnings: list[str] | None = None) -> RemoteEvent:
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
        transparency=item.get("transparency", "opaque").upper(),
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


def cancelled_occurrence(
    uid: str, original: datetime | date, timezone: str | None, remote_id: str, **remote: Any
) -> RemoteEvent:
    """A cancelled instance as ponton reads and records it: Google guarantees only the stub's id,
    series and original start, so that is all it holds (a timed one lasts no time)."""
    end = original if isinstance(original, datetime) else original + timedelta(days=1)
    event = Event(
        uid=uid,
        start=original,
        end=end,
        timezone=timezone,
        recurrence_id=original,
        status="CANCELLED",
    )
    return RemoteEvent(remote_id, event, **remote)


def series_of(master: dict[str, Any]) -> dict[str, Any]:
    """What an instance takes from its master: the series' uid, platform uid and time zone."""
    platform_uid = platform_uid_of(master)
    return {
        "uid": platform_uid or master.get("iCalUID") or master["id"],
        "platform_uid": platform_uid,
        "timezone": iana_name(master.get("start", {}).get("timeZone")),
    }


def occurrence_from_google(
    item: dict[str, Any],
    *,
    uid: str,
    platform_uid: str | None,
    timezone: str | None,
    warnings: list[str] | None = None,
) -> RemoteEvent:
    """An exception instance or cancelled stub of series ``uid``, as an override of it; the
    original start is given in the series' zone (a date for an all-day series)."""
    original = _parse_moment(item["originalStartTime"], "originalStartTime", item["id"])
    if isinstance(original, datetime):
        original = original.astimezone(_zone(timezone) or UTC)
    if is_cancelled(item):
        return cancelled_occurrence(
            uid, original, timezone, item["id"], etag=item.get("etag"), platform_uid=platform_uid
        )
    remote = from_google(item, warnings)
    event = replace(remote.event, uid=uid, recurrence_id=original, recurrence=())
    return replace(remote, event=event, platform_uid=platform_uid)


def original_start_of(instance_id: str) -> datetime | date:
    """The original start an instance id names (inverse of :func:`instance_id_for`)."""
    suffix = instance_id.rpartition("_")[2]
    if "T" in suffix:
        return datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(suffix, "%Y%m%d").date()


def plain_occurrence_body(master: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """The body giving instance ``instance_id`` back what its series gives it (its own time,
    the master's fields)."""
    original = original_start_of(instance_id)
    start = _parse_moment(master["start"], "start", master["id"])
    length = _parse_moment(master["end"], "end", master["id"]) - start
    zone = master["start"].get("timeZone")
    if isinstance(original, datetime):
        original = original.astimezone(_zone(zone) or UTC)
    kept = ("summary", "description", "location", "transparency", "visibility", "attendees")
    kept += ("extendedProperties",)
    return {k: master[k] for k in kept if k in master} | {
        "id": instance_id,
        "recurringEventId": master["id"],
        "originalStartTime": _moment(original, zone),
        "start": _moment(original, zone),
        "end": _moment(original + length, zone),
        "status": "confirmed",
    }
