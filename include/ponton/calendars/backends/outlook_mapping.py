"""Event <-> Microsoft Graph event JSON.

The platform uid travels in a single-value extended property (fixed GUID, queryable with
``$filter``) and, encoded, in ``transactionId`` (Graph's own guard against a retried POST creating
a twin; it is also what a delta listing returns, where ``$expand`` is not available). Attendees are
not written unless the binding asks for it: Graph would send each of them an invitation.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

from ponton.calendars.backends.outlook_recurrence import to_patterned, to_rrule
from ponton.errors import InvalidInputError
from ponton.model import Attendee, Event
from ponton.sync.port import RemoteEvent
from ponton.zones import iana_name, zone_info

PROPERTY_GUID = "8a9d5b1e-6c1f-4f4e-9a53-0c4f2e7d1b6a"
UID_PROPERTY_ID = f"String {{{PROPERTY_GUID}}} Name ponton_uid"
TRANSACTION_PREFIX = "ponton-"

_SHOW_AS = {"OPAQUE": "busy", "TRANSPARENT": "free"}
_RESPONSE_TO_PARTSTAT = {
    "accepted": "ACCEPTED",
    "declined": "DECLINED",
    "tentativelyAccepted": "TENTATIVE",
    "none": "NEEDS-ACTION",
    "notResponded": "NEEDS-ACTION",
    "organizer": "ACCEPTED",
}
_PRIVACY_TO_SENSITIVITY = {"PUBLIC": "normal", "PRIVATE": "private", "CONFIDENTIAL": "confidential"}
# "personal" hides nothing in Outlook itself, but it is the owner's own business: read as private.
_SENSITIVITY_TO_PRIVACY = {"normal": "PUBLIC", "personal": "PRIVATE"} | {
    v: k for k, v in _PRIVACY_TO_SENSITIVITY.items() if k != "PUBLIC"
}
_GRAPH_FORMAT = "%Y-%m-%dT%H:%M:%S.0000000"


def transaction_id_for(platform_uid: str) -> str:
    """Deterministic and reversible, so a delta listing tells which platform event it saw."""
    encoded = base64.urlsafe_b64encode(platform_uid.encode()).decode().rstrip("=")
    return TRANSACTION_PREFIX + encoded


def platform_uid_from_transaction(transaction_id: str | None) -> str | None:
    if not transaction_id or not transaction_id.startswith(TRANSACTION_PREFIX):
        return None
    encoded = transaction_id[len(TRANSACTION_PREFIX) :]
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def zone(name: str | None) -> ZoneInfo:
    """IANA or Windows zone name (CLDR table, :mod:`ponton.zones`) -> ZoneInfo; UTC when absent
    or unknown (``from_graph`` reports the unknown ones)."""
    return zone_info(name) or ZoneInfo("UTC")


def _moment(value: datetime | date, timezone: str | None) -> dict[str, str]:
    if isinstance(value, datetime):
        name = timezone or getattr(value.tzinfo, "key", None) or "UTC"
        local = value.astimezone(zone(name))
        return {"dateTime": local.strftime(_GRAPH_FORMAT), "timeZone": name}
    return {"dateTime": datetime.combine(value, time()).strftime(_GRAPH_FORMAT), "timeZone": "UTC"}


def to_graph(event: Event, platform_uid: str, *, write_attendees: bool = False) -> dict[str, Any]:
    """The body for POST/PATCH of an event, or for the PATCH of one occurrence of a series (an
    override: no pattern, and the series' uid stays on its master)."""
    body: dict[str, Any] = {
        "subject": event.summary,
        "body": {"contentType": "text", "content": event.description},
        "location": {"displayName": event.location},
        "start": _moment(event.start, event.timezone),
        "end": _moment(event.end, event.timezone),
        "isAllDay": event.all_day,
        "showAs": "tentative" if event.status == "TENTATIVE" else _SHOW_AS[event.transparency],
        "sensitivity": _PRIVACY_TO_SENSITIVITY[event.privacy],
        "transactionId": transaction_id_for(platform_uid),
        "singleValueExtendedProperties": [{"id": UID_PROPERTY_ID, "value": platform_uid}],
    }
    if event.recurrence_id is not None:
        del body["transactionId"], body["singleValueExtendedProperties"]
    elif event.recurrence:
        name = body["start"]["timeZone"]
        body["recurrence"] = to_patterned(
            platform_uid, event.recurrence, event.start, name, zone(name)
        )
    if write_attendees:
        body["attendees"] = [
            {"emailAddress": {"address": a.email, "name": a.name or a.email}, "type": "required"}
            for a in event.attendees
        ]
    return body


def _parse_moment(raw: dict[str, str], all_day: bool) -> datetime | date:
    text = raw["dateTime"]
    head, _, fraction = text.partition(".")
    naive = datetime.fromisoformat(head)
    if fraction:
        naive += timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    if all_day:
        return naive.date()
    return naive.replace(tzinfo=zone(raw.get("timeZone")))


def platform_uid_of(item: dict[str, Any]) -> str | None:
    for prop in item.get("singleValueExtendedProperties") or ():
        if prop.get("id", "").lower() == UID_PROPERTY_ID.lower():
            return prop.get("value")
    return platform_uid_from_transaction(item.get("transactionId"))


def _event_zone(item: dict[str, Any], warnings: list[str] | None) -> str | None:
    """The event's own zone as an IANA name: the zone it was created in
    (``originalStartTimeZone``, often a Windows name), else the zone of ``start``. An unknown one
    keeps the event in UTC and is reported, never an error: one event must not stop a binding."""
    name = item.get("originalStartTimeZone") or (item.get("start") or {}).get("timeZone")
    known = iana_name(name)
    if name and known is None and warnings is not None:
        warnings.append(
            f"Graph event {item['id']!r}: time zone {name!r} is unknown to the CLDR table; "
            "kept in UTC"
        )
    return known


def _plain_text(body: dict[str, Any] | None) -> str:
    """The description: ponton asks Graph for text; an HTML body (a peer that ignored the
    preference) is reduced to its text."""
    body = body or {}
    content = body.get("content") or ""
    if (body.get("contentType") or "text").lower() != "html":
        return content
    parser = _TextOfHtml()
    parser.feed(content)
    return parser.text()


class _TextOfHtml(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("head", "style", "script"):
            self._skip += 1
        elif tag in self._BREAKS and self._parts:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._parts.append(data.replace("\r\n", "\n").strip("\r\n"))

    def text(self) -> str:
        return "".join(self._parts).strip()


def from_graph(item: dict[str, Any], warnings: list[str] | None = None) -> RemoteEvent:
    """A listed or fetched event; an unknown zone appends one line to ``warnings``."""
    event_id = item["id"]
    all_day = bool(item.get("isAllDay"))
    own = None if all_day else _event_zone(item, warnings)
    try:
        start = _parse_moment(item["start"], all_day)
        end = _parse_moment(item["end"], all_day)
    except (KeyError, ValueError) as exc:
        raise InvalidInputError(f"Graph event {event_id!r} has no usable start/end: {exc}") from exc
    if own and isinstance(start, datetime) and isinstance(end, datetime):
        start, end = start.astimezone(ZoneInfo(own)), end.astimezone(ZoneInfo(own))
    platform_uid = platform_uid_of(item)
    show_as = item.get("showAs", "busy")
    if item.get("isCancelled"):
        status = "CANCELLED"
    elif show_as == "tentative":
        status = "TENTATIVE"
    else:
        status = "CONFIRMED"
    modified = item.get("lastModifiedDateTime")
    recurrence = item.get("recurrence")
    rules = ()
    if recurrence:
        local = start
        if isinstance(start, datetime):
            series_zone = (recurrence.get("range") or {}).get("recurrenceTimeZone")
            local = start.astimezone(zone_info(series_zone) or start.tzinfo)
        rules = (to_rrule(event_id, recurrence, local),)
    event = Event(
        uid=platform_uid or item.get("iCalUId") or event_id,
        start=start,
        end=end,
        summary=item.get("subject") or "",
        description=_plain_text(item.get("body")),
        location=(item.get("location") or {}).get("displayName") or "",
        timezone=None if all_day else (own or "UTC"),
        recurrence=rules,
        status=status,
        transparency="TRANSPARENT" if show_as in ("free", "workingElsewhere") else "OPAQUE",
        organizer=((item.get("organizer") or {}).get("emailAddress") or {}).get("address"),
        attendees=tuple(
            Attendee(
                email=a["emailAddress"]["address"],
                name=a["emailAddress"].get("name"),
                partstat=_RESPONSE_TO_PARTSTAT.get(
                    (a.get("status") or {}).get("response", "none"), "NEEDS-ACTION"
                ),
            )
            for a in item.get("attendees") or ()
            if (a.get("emailAddress") or {}).get("address")
        ),
        categories=tuple(item.get("categories") or ()),
        url=item.get("webLink"),
        privacy=_SENSITIVITY_TO_PRIVACY.get(item.get("sensitivity") or "normal", "PRIVATE"),
        response=_own_response(item),
        last_modified=(
            datetime.fromisoformat(modified.replace("Z", "+00:00")).astimezone(UTC)
            if modified
            else None
        ),
    )
    return RemoteEvent(event_id, event, etag=item.get("@odata.etag"), platform_uid=platform_uid)


def _own_response(item: dict[str, Any]) -> str | None:
    """The mailbox owner's answer to an invitation; None for the owner's own events."""
    response = (item.get("responseStatus") or {}).get("response")
    if response in (None, "organizer"):
        return None
    return _RESPONSE_TO_PARTSTAT.get(response, "NEEDS-ACTION")
