"""The Outlook backend of the RemoteCalendar port, over Microsoft Graph with ``requests``.

Built from a :class:`GraphSession` (a base URL and a bearer-token callable: the credential) and
:class:`OutlookCalendarOptions`, free of Airflow (``ponton.hooks.outlook_calendar`` only
authenticates).

Why not the Kiota-based msgraph SDK: it is async end to end, while the port (and the sync engine
on top of it) is synchronous; a ``requests`` session with azure-identity tokens keeps paging, JSON
``$batch`` (<= 20), per-request 429 retries and error translation visible in two small modules
(this one and :mod:`ponton.calendars.backends.graph`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ponton.calendars.backends.graph import (
    GraphSession,
    http_status,
    translate,
)
from ponton.calendars.backends.outlook_mapping import UID_PROPERTY_ID, from_graph, to_graph
from ponton.calendars.backends.outlook_occurrences import OccurrenceAccess
from ponton.errors import ConfigError, InvalidInputError, PontonError, PreconditionFailed
from ponton.sync.port import ChangeSet, Channel, RemoteEvent, RemoteWrite, WriteResult


@dataclass
class GraphCalendarRef:
    """``mailbox`` or ``mailbox/calendar-id`` as a binding names it, and the documented Graph
    paths for it: the default calendar's view is ``/users/{id}/calendarView``, its events
    ``/users/{id}/calendar/events``; another calendar has both under ``/calendars/{id}``."""

    mailbox: str
    calendar_id: str | None = None
    view: str = field(init=False)  # parent of calendarView/delta
    events: str = field(init=False)  # the event collection (create, $filter)
    resource: str = field(init=False)  # what a subscription watches

    def __post_init__(self) -> None:
        user = f"/users/{quote(self.mailbox)}"
        if self.calendar_id:
            self.view = f"{user}/calendars/{quote(self.calendar_id)}"
            self.events = f"{self.view}/events"
            self.resource = self.events.removeprefix("/")
        else:
            self.view = user
            self.events = f"{user}/calendar/events"
            self.resource = f"{user.removeprefix('/')}/events"

    @classmethod
    def parse(cls, source: str) -> GraphCalendarRef:
        mailbox, _, calendar_id = source.partition("/")
        if "@" not in mailbox:
            raise ConfigError(
                f"Outlook calendar {source!r}: expected 'user@domain' or 'user@domain/CALENDAR_ID'"
            )
        return cls(mailbox, calendar_id or None)


RELISTED_FOR_REMOVALS = (
    "Outlook reported removed events by id alone: the window was read again to tell which"
)


@dataclass(frozen=True, kw_only=True)
class OutlookCalendarOptions:
    """What a binding tunes (``options`` JSON), plus which calendar: ``user@domain`` (default
    calendar) or ``user@domain/CALENDAR_ID``."""

    calendar: str
    write_attendees: bool = False  # Graph would send every attendee an invitation
    page_size: int = 100

    @classmethod
    def from_binding(
        cls, calendar: str, options: Mapping[str, Any] | None
    ) -> OutlookCalendarOptions:
        """From a binding's options: ``write_attendees`` (default False), ``page_size``."""
        options = options or {}
        return cls(
            calendar=calendar,
            write_attendees=bool(options.get("write_attendees", False)),
            page_size=int(options.get("page_size", 100)),
        )


class OutlookCalendarBackend(OccurrenceAccess):
    """One mailbox calendar seen through the RemoteCalendar port, with Graph subscriptions.

    A series is synced as its master plus one override per exception or deleted occurrence
    (:mod:`.outlook_occurrences`); its plain occurrences are what the master says."""

    capabilities = frozenset({"read", "write", "incremental"})
    webhook_route = "graph"

    def __init__(self, *, session: GraphSession, options: OutlookCalendarOptions) -> None:
        self.session = session
        self.options = options
        self.ref = GraphCalendarRef.parse(options.calendar)
        self.write_attendees = options.write_attendees
        self.page_size = options.page_size
        self._warnings: list[str] = []

    def _read(self, item: dict[str, Any], warnings: list[str] | None = None) -> RemoteEvent:
        return from_graph(item, warnings)

    def rejected_components(self) -> list[str]:
        """Events the last listing kept in UTC because their zone is unknown (ParseDiagnostics)."""
        return list(self._warnings)

    def derived_uids(self) -> list[str]:
        """None: every event here has the service's own id (ParseDiagnostics)."""
        return []

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        return self.session.call(self.ref.mailbox, method, url, what, **kwargs)

    # -- reads ------------------------------------------------------------------------------
    def list_changes(self, cursor: str | None, start: datetime, end: datetime) -> ChangeSet:
        self._warnings = []
        # A cursor is a deltaLink of this Graph; anything else (garbage, another cloud) restarts.
        if cursor and cursor.startswith(self.session.base_url + "/") and "delta" in cursor:
            try:
                return self._round(cursor, {}, start, end, full=False)
            except PontonError as exc:
                if http_status(exc) != 410:  # 410 SyncStateNotFound: start a new round
                    raise
        params = {"startDateTime": _iso(start), "endDateTime": _iso(end)}
        return self._round(f"{self.ref.view}/calendarView/delta", params, start, end, full=True)

    def _round(self, url: str, params: dict, start, end, *, full: bool) -> ChangeSet:
        what = f"list Outlook calendar {self.ref.mailbox!r}"
        headers = {"Prefer": f"odata.maxpagesize={self.page_size}"}
        events: list[RemoteEvent] = []
        deleted: list[str] = []
        removed = False
        series: dict[str, None] = {}  # masters of the occurrences listed, in order
        while True:
            page = self._call("GET", url, what, params=params, headers=headers)
            for item in page.get("value", ()):
                if "@removed" in item:
                    deleted.append(item["id"])
                    removed = True
                elif item.get("seriesMasterId"):
                    series[item["seriesMasterId"]] = None
                elif item.get("isCancelled"):
                    deleted.append(item["id"])
                elif item.get("type") == "seriesMaster":
                    series[item["id"]] = None
                else:
                    events.append(self._read(item, self._warnings))
            params = {}
            if "@odata.nextLink" in page:
                url = page["@odata.nextLink"]
                continue
            if removed and not full:
                # A removed occurrence is named by its opaque id alone: which series lost which
                # occurrence (or the whole series) only a listing of the window tells.
                window = {"startDateTime": _iso(start), "endDateTime": _iso(end)}
                relisted = self._round(
                    f"{self.ref.view}/calendarView/delta", window, start, end, full=True
                )
                return replace(relisted, full_reason=RELISTED_FOR_REMOVALS)
            cursor = page.get("@odata.deltaLink")
            components, gone = self._series(list(series), start, end)
            events += components
            deleted += gone
            if full:
                return ChangeSet(events, full=True, cursor=cursor)
            return ChangeSet(events, full=False, cursor=cursor, deleted=deleted)

    def _event_url(self, remote_id: str) -> str:
        return f"/users/{quote(self.ref.mailbox)}/events/{quote(remote_id)}"

    def find(self, platform_uid: str) -> RemoteEvent | None:
        value = platform_uid.replace("'", "''")
        params = {
            "$filter": (
                f"singleValueExtendedProperties/Any(ep: ep/id eq '{UID_PROPERTY_ID}' "
                f"and ep/value eq '{value}')"
            ),
            "$expand": f"singleValueExtendedProperties($filter=id eq '{UID_PROPERTY_ID}')",
        }
        found = self._call("GET", self.ref.events, f"find {platform_uid!r}", params=params)
        items = found.get("value", [])
        return self._read(items[0]) if items else None

    # -- writes -----------------------------------------------------------------------------
    def apply_writes(self, writes: Sequence[RemoteWrite]) -> list[WriteResult]:
        """Events and series masters in one ``$batch``; then the overrides (and the EXDATEs of
        the masters just written) as single occurrences of their series."""
        results: dict[int, WriteResult] = {}
        batch = []
        for i, write in enumerate(writes):
            if write.recurrence_id:
                continue
            try:
                batch.append(self._request_for(str(i), write))
            except PontonError as exc:
                results[i] = WriteResult(write, error=exc)
        for reply in self._batch_replies(
            batch, f"write to Outlook calendar {self.ref.mailbox!r}"
        ).values():
            i = int(reply["id"])
            results[i] = self._result(writes[i], reply)
        self._write_occurrences(writes, results)
        return [results[i] for i in range(len(writes))]

    def _request_for(self, request_id: str, write: RemoteWrite) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if write.op == "create":
            return {
                "id": request_id,
                "method": "POST",
                "url": self.ref.events,
                "headers": headers,
                "body": self._body(write),
            }
        if write.etag:
            headers["If-Match"] = write.etag
        url = self._event_url(write.remote_id or "")
        if write.op == "update":
            body = self._body(write)
            body.pop("transactionId")  # only meaningful on POST
            body.setdefault("recurrence", None)  # Graph's documented way to end a series
            return {
                "id": request_id,
                "method": "PATCH",
                "url": url,
                "headers": headers,
                "body": body,
            }
        return {"id": request_id, "method": "DELETE", "url": url, "headers": headers}

    def _body(self, write: RemoteWrite) -> dict[str, Any]:
        if write.event is None:
            raise InvalidInputError(f"{write.op} of {write.platform_uid!r} carries no event")
        return to_graph(write.event, write.platform_uid, write_attendees=self.write_attendees)

    def _result(self, write: RemoteWrite, reply: dict) -> WriteResult:
        error = translate(
            reply["status"],
            reply.get("body"),
            reply.get("headers"),
            conn_id=self.session.conn_id,
            what=f"{write.op} {write.platform_uid!r} in Outlook",
        )
        if write.op == "delete":
            return WriteResult(write, error=None if http_status(error) == 404 else error)
        if error is not None:
            if write.op == "update" and http_status(error) == 404:
                error = PreconditionFailed(f"{write.remote_id} is gone from Outlook")
            return WriteResult(write, error=error)
        remote = self._read(reply["body"])
        if remote.platform_uid is None:
            remote = RemoteEvent(remote.remote_id, remote.event, remote.etag, write.platform_uid)
        return WriteResult(write, remote)

    # -- subscriptions (PushChannels) ---------------------------------------------------------
    def open_channel(
        self, *, channel_id: str, address: str, token: str, expires_at: datetime
    ) -> Channel:
        """A Graph subscription (Graph assigns its id; lifecycle notifications go to the same
        address); ``channel_id`` is not used."""
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": address,
            "lifecycleNotificationUrl": address,
            "resource": self.ref.resource,
            "expirationDateTime": _iso(expires_at),
            "clientState": token,
        }
        created = self._call("POST", "/subscriptions", "create Graph subscription", json=body)
        return Channel(created["id"], _parse(created["expirationDateTime"]))

    def renew_channel(self, channel: Channel, *, expires_at: datetime) -> Channel | None:
        """PATCH the expiry; None when Graph has dropped the subscription (404)."""
        try:
            renewed = self._call(
                "PATCH",
                f"/subscriptions/{quote(channel.channel_id)}",
                f"renew Graph subscription {channel.channel_id!r}",
                json={"expirationDateTime": _iso(expires_at)},
            )
        except ConfigError as exc:
            if http_status(exc) != 404:
                raise
            return None
        return Channel(channel.channel_id, _parse(renewed["expirationDateTime"]))

    def close_channel(self, channel: Channel) -> bool:
        """False when Graph no longer knows the subscription (expired or removed)."""
        subscription_id = channel.channel_id
        try:
            self._call(
                "DELETE",
                f"/subscriptions/{quote(subscription_id)}",
                f"delete Graph subscription {subscription_id!r}",
            )
        except ConfigError as exc:
            if http_status(exc) != 404:
                raise
            return False
        return True


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _parse(raw: str) -> datetime:
    head = raw.replace("Z", "").split(".")[0]
    return datetime.fromisoformat(head).replace(tzinfo=UTC)
