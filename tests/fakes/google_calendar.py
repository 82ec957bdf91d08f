"""A loopback Google Calendar API v3 for what ponton uses, driven through google-api-python-client.

Documented behaviour it follows (developers.google.com/calendar/api): client-set event ids
(base32hex, 5-1024 chars; an existing id gives 409 ``duplicate``), etags and ``If-Match`` (412
``conditionNotMet``), deleted events kept as ``status: cancelled`` (DELETE again gives 410),
``events.list`` paging with ``nextPageToken`` and ``nextSyncToken`` on the last page only, syncToken
listings returning changes and deletions since the token (410 ``fullSyncRequired`` once a token
expires), multipart/mixed batches at ``/batch/calendar/v3``, ``events.watch`` / ``channels.stop``,
and the OAuth token endpoint (400 ``invalid_grant`` for a revoked refresh token).
Recurring events (masters listed when any instance overlaps the window, exceptions and cancelled
instances listed apart, ``events.instances``): see ``tests.fakes.google_series``. An instance is
written through its instance id (update makes an exception, delete a cancelled stub, an update
of the stub restores it); its ``originalStartTime`` and ``recurringEventId`` are immutable, and
the instances of a deleted series cannot be addressed. ``api_calls`` counts every call, batched
or not.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from werkzeug.wrappers import Request, Response

from tests.fakes.google_series import any_instance_overlaps, bounds, instances, moment
from tests.fakes.google_transport import GoogleTransport
from tests.fakes.loopback import LoopbackServer, json_response

_ID = re.compile(r"^[0-9a-v]{5,1024}$")
_REASONS = {
    400: "badRequest",
    401: "authError",
    403: "rateLimitExceeded",
    404: "notFound",
    409: "duplicate",
    410: "deleted",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}
MAX_CHANNEL_TTL = timedelta(days=7)


@dataclass
class _Stored:
    item: dict[str, Any]
    version: int


def _error(status: int, message: str, reason: str | None = None) -> tuple[int, dict, dict]:
    reason = reason or _REASONS.get(status, "error")
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"domain": "global", "reason": reason, "message": message}],
        }
    }
    return status, {}, body


def _in_window(item: dict[str, Any], low: datetime, high: datetime) -> bool:
    """timeMin bounds an event's end, timeMax its start; a recurring master is listed when any of
    its instances overlaps: https://developers.google.com/calendar/api/v3/reference/events/list
    A cancelled instance stub has no start: it is windowed by its original start (the docs are
    silent; the harsher reading lists it)."""
    if item.get("recurrence"):
        return any_instance_overlaps(item, low, high)
    if "start" not in item:
        begins = moment(item["originalStartTime"])
        return low <= begins < high
    start, end = bounds(item)
    return end > low and start < high


def _same_instance(item: dict[str, Any], data: dict[str, Any]) -> bool:
    """A write to an instance may repeat its series and original start, never change them."""
    if data.get("recurringEventId", item["recurringEventId"]) != item["recurringEventId"]:
        return False
    original = data.get("originalStartTime")
    return original is None or moment(original) == moment(item["originalStartTime"])


class FakeGoogleCalendar(GoogleTransport, LoopbackServer):
    def __init__(self, page_size: int = 250) -> None:
        super().__init__()
        self.page_size = page_size
        self.calendars: dict[str, dict[str, _Stored]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.access_tokens: set[str] = set()
        self.revoked_refresh_tokens: set[str] = set()
        self._clock = itertools.count(1)
        self._sync_tokens: dict[str, int] = {}
        self._pages: dict[str, tuple[list[dict], str | None, int]] = {}
        self._message_numbers = itertools.count(1)
        self.outbox: list[tuple[str, dict[str, str]]] = []  # (address, headers) Google would POST
        self.guest_mail: list[tuple[str, str]] = []  # (guest, event id) Google may have emailed
        # Every API call, batched or not (Google counts each call of a batch against quota):
        # https://developers.google.com/calendar/api/guides/batch
        self.api_calls: list[tuple[str, str]] = []

    # -- back door: what a person or Google itself does ----------------------------------------
    def edit(self, calendar_id: str, event_id: str, **fields: Any) -> None:
        stored = self.calendars[calendar_id][event_id]
        self._store(calendar_id, stored.item | fields)

    def add_foreign(self, calendar_id: str, item: dict[str, Any]) -> str:
        item = {"id": uuid.uuid4().hex[:20].translate(str.maketrans("wxyz", "0123"))} | item
        self._store(calendar_id, item)
        return item["id"]

    def move_instance(self, calendar_id: str, master_id: str, original: dict, **fields) -> str:
        """A person moves (or edits) one instance in Google Calendar: an exception appears."""
        (row,) = self._instances(calendar_id, master_id, moment(original))
        return self._store(calendar_id, row | fields)["id"]

    def cancel_instance(self, calendar_id: str, master_id: str, original: dict) -> str:
        """A person deletes one instance: a cancelled stub with only the documented fields."""
        (row,) = self._instances(calendar_id, master_id, moment(original))
        stub = {k: row[k] for k in ("id", "recurringEventId", "originalStartTime")}
        return self._store(calendar_id, stub | {"status": "cancelled"})["id"]

    def _instances(self, calendar_id: str, master_id: str, at: datetime) -> list[dict]:
        """The instance originally starting ``at`` (its exception when there is one, wherever
        it was moved), or none when the series has no such occurrence."""
        master = self.calendars[calendar_id][master_id].item
        found = instances(master, {}, at, at + timedelta(seconds=1))
        found = [r for r in found if moment(r["originalStartTime"]) == at]
        stored = self.calendars[calendar_id]
        return [stored[r["id"]].item if r["id"] in stored else r for r in found]

    def items(self, calendar_id: str, *, live: bool = True) -> list[dict[str, Any]]:
        stored = self.calendars.get(calendar_id, {}).values()
        return [s.item for s in stored if not live or s.item.get("status") != "cancelled"]

    def expire_sync_tokens(self) -> None:
        self._sync_tokens.clear()

    def revoke(self, refresh_token: str) -> None:
        self.revoked_refresh_tokens.add(refresh_token)
        self.access_tokens.clear()

    # -- HTTP ------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/token":
            return self._token(request)
        if path.rstrip("/") == "/batch/calendar/v3":
            return self._batch(request)
        status, headers, body = self.serve(
            request.method, path, request.query_string.decode(), request.headers, request.data
        )
        return json_response(status, headers, body)

    def serve(self, method: str, path: str, query: str, headers, body: bytes):
        """One API call (top level or inside a batch)."""
        path = path.removeprefix("/calendar/v3")
        self.api_calls.append((method, path))
        failure = self.scripted_failure(method, path)
        if failure:
            status, extra, payload = _error(failure.status, "scripted failure")
            if failure.retry_after is not None:
                extra["Retry-After"] = failure.retry_after
            return status, extra, failure.body or payload
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            return _error(401, "Request had invalid authentication credentials.", "authError")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        data = json.loads(body) if body else {}
        with self._lock:
            self._mail_guests(method, params, data)
            if path == "/channels/stop" and method == "POST":
                return self._stop(data)
            match = re.fullmatch(r"/calendars/([^/]+)/events(?:/([^/]+))?(/instances)?", path)
            if not match:
                return _error(404, f"no route for {method} {path}")
            calendar_id, event_id, listing_instances = match.groups()
            if listing_instances and method == "GET":
                return self._list_instances(calendar_id, event_id, params)
            if event_id == "watch" and method == "POST":
                return self._watch(calendar_id, data)
            if event_id is None:
                if method == "GET":
                    return self._list(calendar_id, params)
                if method == "POST":
                    return self._insert(calendar_id, data)
            elif method == "GET":
                return self._get(calendar_id, event_id)
            elif method in ("PUT", "PATCH", "DELETE"):
                return self._write(method, calendar_id, event_id, data, headers.get("If-Match"))
        return _error(405, f"{method} not allowed on {path}")

    def _mail_guests(self, method: str, params: dict[str, str], data: dict) -> None:
        """Guests a write may email. events.insert/update/patch document ``sendUpdates``
        (https://developers.google.com/calendar/api/v3/reference/events/insert) with ``none``
        meaning no notification, but are silent on the default ("some emails might still be
        sent"): the harsher reading, every guest is mailed unless ``sendUpdates=none``."""
        if method in ("POST", "PUT", "PATCH") and params.get("sendUpdates") != "none":
            self.guest_mail += [(a["email"], data.get("id", "")) for a in data.get("attendees", ())]

    # -- events ----------------------------------------------------------------------------------
    def _store(self, calendar_id: str, item: dict[str, Any], *, created: bool = False) -> dict:
        version = next(self._clock)
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        item = dict(item)
        item.update(kind="calendar#event", etag=f'"{version}"', updated=now)
        item.setdefault("status", "confirmed")
        item.setdefault("iCalUID", f"{item['id']}@google.com")
        if created:
            item["created"] = now
        self.calendars.setdefault(calendar_id, {})[item["id"]] = _Stored(item, version)
        self._notify(calendar_id, "exists")
        return item

    def _notify(self, calendar_id: str, state: str) -> None:
        """One POST per watching channel, headers only, as the push guide describes."""
        suffix = f"/calendars/{calendar_id}/events"
        for channel in self.channels.values():
            if channel["resourceUri"].endswith(suffix):
                headers = {
                    "X-Goog-Channel-ID": channel["id"],
                    "X-Goog-Channel-Expiration": channel["expiration"],
                    "X-Goog-Resource-ID": channel["resourceId"],
                    "X-Goog-Resource-URI": channel["resourceUri"],
                    "X-Goog-Resource-State": state,
                    "X-Goog-Message-Number": str(next(self._message_numbers)),
                }
                if channel.get("token"):
                    headers["X-Goog-Channel-Token"] = channel["token"]
                self.outbox.append((channel["address"], headers))

    def _insert(self, calendar_id: str, data: dict) -> tuple[int, dict, dict]:
        if "start" not in data or "end" not in data:
            return _error(400, "Missing start or end.", "required")
        event_id = data.get("id") or uuid.uuid4().hex
        if not _ID.match(event_id):
            return _error(400, "Invalid resource id value.", "invalid")
        if event_id in self.calendars.get(calendar_id, {}):
            return _error(409, "The requested identifier already exists.", "duplicate")
        return 200, {}, self._store(calendar_id, data | {"id": event_id}, created=True)

    def _item(self, calendar_id: str, event_id: str) -> dict | None:
        """A stored event, or an instance of a stored series addressed by its instance id
        (``events.get``/``patch``/``delete`` accept instance ids, as events.instances returns
        them: https://developers.google.com/calendar/api/guides/recurringevents)."""
        stored = self.calendars.get(calendar_id, {}).get(event_id)
        if stored is not None:
            return stored.item
        master_id, _, suffix = event_id.rpartition("_")
        master = self.calendars.get(calendar_id, {}).get(master_id)
        if master is None or not master.item.get("recurrence") or not suffix:
            return None
        if master.item.get("status") == "cancelled":
            # The docs are silent on the instances of a deleted series; the harsher reading:
            # there are none left to address.
            return None
        try:
            if "T" in suffix:
                at = datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            else:
                at = datetime.strptime(suffix, "%Y%m%d").replace(tzinfo=UTC)
        except ValueError:
            return None
        found = [r for r in self._instances(calendar_id, master_id, at) if r["id"] == event_id]
        return found[0] if found else None

    def _get(self, calendar_id: str, event_id: str):
        item = self._item(calendar_id, event_id)
        if item is None:
            return _error(404, "Not Found")
        return 200, {}, item

    def _write(self, method: str, calendar_id: str, event_id: str, data: dict, if_match):
        item = self._item(calendar_id, event_id)
        if item is None:
            return _error(404, "Not Found")
        if if_match and if_match != item["etag"]:
            return _error(412, "Precondition Failed", "conditionNotMet")
        if method == "DELETE":
            if item.get("status") == "cancelled":
                return _error(410, "Resource has been deleted", "deleted")
            if item.get("recurringEventId"):  # one instance: a cancelled stub remains
                stub = {k: item[k] for k in ("id", "recurringEventId", "originalStartTime")}
                self._store(calendar_id, stub | {"status": "cancelled"})
                return 204, {}, None
            self._store(calendar_id, item | {"status": "cancelled"})
            # The docs are silent on the exceptions of a deleted series; the harsher reading:
            # they are cancelled with it and reported as changes too.
            for stored in list(self.calendars[calendar_id].values()):
                if stored.item.get("recurringEventId") == event_id:
                    self._store(calendar_id, stored.item | {"status": "cancelled"})
            return 204, {}, None
        if item.get("recurringEventId") and not _same_instance(item, data):
            # recurringEventId and originalStartTime are immutable, they name the instance:
            # https://developers.google.com/calendar/api/v3/reference/events (originalStartTime)
            return _error(400, "Invalid originalStartTime or recurringEventId.", "invalid")
        keep_keys = ("id", "iCalUID", "created", "recurringEventId", "originalStartTime")
        keep = {k: item[k] for k in keep_keys if k in item}
        base = item if method == "PATCH" else {}
        return 200, {}, self._store(calendar_id, base | data | keep)

    def _list_instances(self, calendar_id: str, event_id: str, params: dict[str, str]):
        """``events.instances``: the series laid out, exceptions applied; cancelled instances
        only with ``showDeleted``; ``originalStart`` picks one instance:
        https://developers.google.com/calendar/api/v3/reference/events/instances"""
        stored = self.calendars.get(calendar_id, {}).get(event_id)
        if stored is None or not stored.item.get("recurrence"):
            return _error(404, "Not Found")
        if "pageToken" in params:
            # Paged like events.list (pageToken in, nextPageToken out):
            # https://developers.google.com/calendar/api/v3/reference/events/instances
            return self._list(calendar_id, {"pageToken": params["pageToken"]})
        if "originalStart" in params:
            at = datetime.fromisoformat(params["originalStart"].replace("Z", "+00:00"))
            rows = self._instances(calendar_id, event_id, at.astimezone(UTC))
        else:
            low = datetime.fromisoformat(params.get("timeMin", "1970-01-01T00:00:00+00:00"))
            high = datetime.fromisoformat(params.get("timeMax", "2100-01-01T00:00:00+00:00"))
            exceptions = {
                s.item["id"]: s.item
                for s in self.calendars[calendar_id].values()
                if s.item.get("recurringEventId") == event_id
            }
            rows = instances(stored.item, exceptions, low, high)
        if params.get("showDeleted") != "true":
            rows = [r for r in rows if r.get("status") != "cancelled"]
        size = min(int(params.get("maxResults", 250)), 2500, self.page_size)
        return 200, {}, self._page(rows, None, size)

    def _list(self, calendar_id: str, params: dict[str, str]):
        if "pageToken" in params:
            page = self._pages.pop(params["pageToken"], None)
            if page is None:
                return _error(400, "Invalid page token.", "invalid")
            return 200, {}, self._page(*page)
        stored = list(self.calendars.get(calendar_id, {}).values())
        if "syncToken" in params:
            if {"timeMin", "timeMax", "privateExtendedProperty", "iCalUID"} & params.keys():
                return _error(400, "Sync token cannot be used with other request restrictions.")
            since = self._sync_tokens.get(params["syncToken"])
            if since is None:
                return _error(
                    410,
                    "Sync token is no longer valid, a full sync is required.",
                    "fullSyncRequired",
                )
            items = [s.item for s in stored if s.version > since]
        else:
            if params.get("singleEvents") == "true":
                return _error(400, "singleEvents=true is not modelled by this fake.")
            # Cancelled events are left out unless showDeleted, but cancelled INSTANCES of a
            # recurring event are listed anyway when singleEvents is false (the default):
            # https://developers.google.com/calendar/api/v3/reference/events/list (showDeleted)
            show_deleted = params.get("showDeleted") == "true"
            items = [
                s.item
                for s in stored
                if show_deleted
                or s.item.get("status") != "cancelled"
                or s.item.get("recurringEventId")
            ]
            if "timeMin" in params or "timeMax" in params:
                low = datetime.fromisoformat(params.get("timeMin", "1970-01-01T00:00:00Z"))
                high = datetime.fromisoformat(params.get("timeMax", "9999-01-01T00:00:00Z"))
                items = [i for i in items if _in_window(i, low, high)]
            if "privateExtendedProperty" in params:
                key, _, value = params["privateExtendedProperty"].partition("=")
                items = [
                    i
                    for i in items
                    if i.get("extendedProperties", {}).get("private", {}).get(key) == value
                ]
            if "iCalUID" in params:
                items = [i for i in items if i.get("iCalUID") == params["iCalUID"]]
        sync_token = f"sync-{uuid.uuid4().hex}"
        self._sync_tokens[sync_token] = next(self._clock)
        # Google may return fewer than maxResults per page; the fake's page size caps it.
        size = min(int(params.get("maxResults", 250)), 2500, self.page_size)
        return 200, {}, self._page(items, sync_token, size)

    def _page(self, items: list[dict], sync_token: str | None, size: int | None = None) -> dict:
        size = size or self.page_size
        body: dict[str, Any] = {"kind": "calendar#events", "items": items[:size]}
        if len(items) > size:
            token = uuid.uuid4().hex
            self._pages[token] = (items[size:], sync_token, size)
            body["nextPageToken"] = token
        else:
            body["nextSyncToken"] = sync_token
        return body

    # -- push ------------------------------------------------------------------------------------
    def _watch(self, calendar_id: str, data: dict):
        if data.get("type") != "web_hook" or not data.get("address", "").startswith("https://"):
            return _error(400, "WebHook callback must be HTTPS: " + data.get("address", ""))
        if not data.get("id") or len(data["id"]) > 64:
            return _error(400, "Channel id must be 1-64 characters.")
        now = datetime.now(UTC)
        limit = now + MAX_CHANNEL_TTL
        asked = data.get("expiration")
        expires = datetime.fromtimestamp(int(asked) / 1000, UTC) if asked else limit
        channel = {
            "kind": "api#channel",
            "id": data["id"],
            "resourceId": uuid.uuid4().hex,
            "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{calendar_id}/events",
            "token": data.get("token"),
            "expiration": str(int(min(expires, limit).timestamp() * 1000)),
            "address": data["address"],
        }
        self.channels[data["id"]] = channel
        self._notify(calendar_id, "sync")
        return 200, {}, channel

    def _stop(self, data: dict):
        channel = self.channels.get(data.get("id", ""))
        if channel is None or channel["resourceId"] != data.get("resourceId"):
            return _error(404, f"Channel '{data.get('id')}' not found for project")
        del self.channels[data["id"]]
        return 204, {}, None
