"""A loopback Microsoft Graph (calendar events, delta, $batch, subscriptions) and its Entra ID token
endpoint, served over HTTPS with a throw-away CA (azure-identity only talks to https authorities).

Documented behaviour it follows (learn.microsoft.com/graph): ``calendarView/delta`` rounds with
``@odata.nextLink`` ($skiptoken) pages ending in ``@odata.deltaLink`` ($deltatoken), removed items
as ``{"id", "@removed": {"reason": "deleted"}}``, 410 ``SyncStateNotFound`` for an expired token;
``@odata.etag``/``changeKey`` with ``If-Match`` (412 ``ErrorIrresolvableConflict``);
``transactionId`` turning a retried POST into the existing event; single-value extended properties
returned only through ``$expand`` and filterable with ``$filter``; JSON ``$batch`` of at most 20
requests, each answered alone (429 with Retry-After per request); subscriptions capped at 10,080
minutes for Outlook resources, created only after the notification URL echoes ``validationToken``.
Recurring series (``type: seriesMaster`` with ``recurrence``; calendarView lists their occurrences,
exceptions and deleted occurrences, ``/events/{id}/instances``): see ``tests.fakes.graph_series``.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import ssl
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from werkzeug.wrappers import Request, Response

from tests.fakes.graph_concurrency import REFUSAL, MailboxConcurrency
from tests.fakes.graph_instances import SeriesInstances, _error, _not_found, _Stored
from tests.fakes.graph_render import instant as _instant
from tests.fakes.graph_render import render, text_to_html, windows_name
from tests.fakes.graph_series import invalid_recurrence
from tests.fakes.loopback import LoopbackServer, json_response

MAX_SUBSCRIPTION = timedelta(minutes=10080)
_PATH = re.compile(
    r"/users/(?P<mailbox>[^/]+)(?:/calendar|/calendars/(?P<calendar>[^/]+))?(?P<rest>/.*)?$"
)
_EVENT = re.compile(
    r"/users/(?P<mailbox>[^/]+)/(?:calendar/|calendars/[^/]+/)?events/(?P<id>[^/]+)"
    r"(?P<instances>/instances)?$"
)


class FakeGraph(SeriesInstances, LoopbackServer):
    def __init__(self, tls, *, client_id: str, client_secret: str, page_size: int = 10) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.configure_cert(context)
        super().__init__(ssl_context=context)
        self.client_id, self.client_secret = client_id, client_secret
        self.page_size = page_size
        self.mailboxes: dict[str, dict[str, _Stored]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.validate_notification_url = None  # callable(url, token) -> echoed text, or None
        self.access_tokens: set[str] = set()
        self._clock = itertools.count(1)
        self._delta_tokens: dict[str, tuple[int, str, str, str]] = {}
        self._skip_tokens: dict[str, tuple[list[dict], str]] = {}
        self._instance_pages: dict[str, tuple[list[dict], str]] = {}
        self._occurrences: dict[str, tuple[str, str]] = {}  # id -> (master id, originalStart)
        self.latency = 0.0  # seconds each API call takes, to observe client concurrency
        self.in_flight = 0
        self.max_in_flight = 0
        self.mailbox_concurrency = MailboxConcurrency()  # Outlook's 4 per mailbox
        self.invitations: list[tuple[str, str]] = []  # (attendee, event id) Outlook mailed
        self.parts: list[tuple[str, str]] = []  # (method, path) of every $batch part served

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0"

    # -- back door ---------------------------------------------------------------------------
    def events(self, mailbox: str) -> list[dict[str, Any]]:
        return [s.item for s in self.mailboxes.get(mailbox, {}).values() if not s.deleted]

    def edit(self, mailbox: str, event_id: str, **fields: Any) -> None:
        """A person edits the event (or one occurrence of a series) in Outlook. The docs are
        silent on what a client does with a plain-text body; the harsher reading: Outlook saves
        it back as HTML."""
        current = self._instance(mailbox, event_id)
        item = current[1] if current else self.mailboxes[mailbox][event_id].item
        body = item.get("body") or {}
        if "body" not in fields and (body.get("contentType") or "").lower() == "text":
            fields["body"] = {"contentType": "html", "content": text_to_html(body["content"])}
        if current:
            self._except(mailbox, event_id, fields)
        else:
            stored = self.mailboxes[mailbox][event_id]
            self._put(mailbox, stored.item | fields, stored.properties)

    def add_foreign(self, mailbox: str, item: dict[str, Any]) -> str:
        """An event made by a person in Outlook (or an invitation landing in the mailbox)."""
        return self._put(mailbox, {"id": "AAMk" + uuid.uuid4().hex} | item, [])["id"]

    def remove(self, mailbox: str, event_id: str) -> None:
        """A deletion: of a whole event or series, or of one occurrence (then absent from the
        series' listings: ``tests.fakes.graph_series``)."""
        if event_id in self._occurrences:
            self._delete_instance(mailbox, event_id)
            return
        stored = self.mailboxes[mailbox][event_id]
        stored.deleted, stored.version = True, next(self._clock)

    def expire_delta_tokens(self) -> None:
        self._delta_tokens.clear()

    # -- HTTP --------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = path.split("/")[1]
            return json_response(200, {}, self._openid(tenant))
        if path.endswith("/oauth2/v2.0/token"):
            return self._token(request)
        if not path.startswith("/v1.0/"):
            return json_response(*_error(404, "BadRequest", f"no route {path}"))
        auth = request.headers.get("Authorization", "")
        if auth[7:] not in self.access_tokens:
            return json_response(
                *_error(401, "InvalidAuthenticationToken", "Access token is empty.")
            )
        path = path.removeprefix("/v1.0")
        if path == "/$batch":
            return self._batch(request)
        mailbox = match["mailbox"] if (match := _PATH.match(path)) else ""
        if not self.mailbox_concurrency.enter(mailbox, 1):
            return json_response(*REFUSAL)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.latency)
        finally:
            with self._lock:
                self.in_flight -= 1
            self.mailbox_concurrency.leave(mailbox, 1)
        body = json.loads(request.data) if request.data else {}
        result = self.serve(
            request.method, path, request.query_string.decode(), request.headers, body
        )
        return json_response(*result)

    def _openid(self, tenant: str) -> dict[str, Any]:
        base = f"{self.url}/{tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        }

    def _token(self, request: Request) -> Response:
        form = request.form
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return json_response(
                401,
                {},
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
            )
        token = secrets.token_urlsafe(16)
        self.access_tokens.add(token)
        return json_response(
            200, {}, {"access_token": token, "token_type": "Bearer", "expires_in": 3599}
        )

    def _batch(self, request: Request) -> Response:
        requests = request.get_json().get("requests", [])
        if len(requests) > 20:
            return json_response(*_error(400, "BadRequest", "Maximum number of requests is 20."))
        responses, requests = self._refuse_busy(requests)
        for sub in requests:
            split = urlsplit(sub["url"] if sub["url"].startswith("/") else "/" + sub["url"])
            with self._lock:
                self.parts.append((sub["method"], unquote(split.path)))
            status, headers, body = self.serve(
                sub["method"],
                unquote(split.path),
                split.query,
                sub.get("headers", {}),
                sub.get("body") or {},
            )
            reply = {"id": sub["id"], "status": status, "headers": headers}
            if body is not None:
                reply["body"] = body
            responses.append(reply)
        return json_response(200, {}, {"responses": responses})

    def _refuse_busy(self, requests: list[dict]) -> tuple[list[dict], list[dict]]:
        """Outlook's concurrency per mailbox for one ``$batch`` (``tests.fakes.graph_concurrency``):
        the 429 answers of the parts on a mailbox without enough free slots, and the parts left
        to serve. Graph answers parts in any order (https://learn.microsoft.com/en-us/graph/json-batching)."""
        boxes = []
        for sub in requests:
            split = urlsplit(sub["url"] if sub["url"].startswith("/") else "/" + sub["url"])
            match = _PATH.match(unquote(split.path))
            boxes.append(match["mailbox"].lower() if match else "")
        busy = self.mailbox_concurrency.hold_batch(boxes, self.latency)
        status, headers, body = REFUSAL
        pairs = list(zip(requests, boxes, strict=True))
        refused = [
            {"id": sub["id"], "status": status, "headers": headers, "body": body}
            for sub, box in pairs
            if box in busy
        ]
        return refused, [sub for sub, box in pairs if box not in busy]

    def serve(self, method: str, path: str, query: str, headers, body: dict):
        """One API call; events in the answer are shown as the request's Prefer asks
        (``tests.fakes.graph_render``)."""
        status, extra, answer = self._serve(method, path, query, headers, body)
        if isinstance(answer, dict) and "start" in answer:
            answer = render(answer, headers)
        elif isinstance(answer, dict) and isinstance(answer.get("value"), list):
            rows = [render(r, headers) if "start" in r else r for r in answer["value"]]
            answer = answer | {"value": rows}
        return status, extra, answer

    def _serve(self, method: str, path: str, query: str, headers, body: dict):
        failure = self.scripted_failure(method, path)
        if failure:
            extra = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            code = "TooManyRequests" if failure.status == 429 else "ServiceUnavailable"
            return (
                failure.status,
                extra,
                failure.body or _error(failure.status, code, "scripted")[2],
            )
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        with self._lock:
            if path.startswith("/subscriptions"):
                return self._subscriptions(method, path, body)
            if match := _EVENT.match(path):
                if match["instances"]:
                    return self._list_instances(method, match["mailbox"], match["id"], params)
                return self._event(method, match["mailbox"], match["id"], body, headers)
            match = _PATH.match(path)
            if match and match["rest"] == "/calendarView/delta" and method == "GET":
                return self._delta(match["mailbox"], params)
            if match and match["rest"] == "/events" and method == "POST":
                return self._create(match["mailbox"], body)
            if match and match["rest"] == "/events" and method == "GET":
                return self._query(match["mailbox"], params)
        return _error(400, "BadRequest", f"Unsupported {method} {path}")

    # -- events ------------------------------------------------------------------------------
    def _invite(self, body: dict, event_id: str) -> None:
        """Writing attendees sends each of them a meeting request, with no switch to stop it
        (https://learn.microsoft.com/graph/api/user-post-events: "...sends an invitation")."""
        self.invitations += [
            (a["emailAddress"]["address"], event_id) for a in body.get("attendees") or ()
        ]

    def _put(self, mailbox: str, item: dict, properties: list[dict]) -> dict:
        version = next(self._clock)
        change_key = uuid.uuid4().hex[:16]
        item = dict(item) | {
            "changeKey": change_key,
            "@odata.etag": f'W/"{change_key}"',
            "lastModifiedDateTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "type": "seriesMaster" if item.get("recurrence") else "singleInstance",
        }
        item.setdefault("recurrence", None)
        item.setdefault("iCalUId", uuid.uuid4().hex)
        # Defaults of https://learn.microsoft.com/graph/api/resources/event: sensitivity "normal";
        # an event made in the mailbox is the owner's own (responseStatus "organizer").
        item.setdefault("sensitivity", "normal")
        item.setdefault("responseStatus", {"response": "organizer"})
        stored = self.mailboxes.setdefault(mailbox, {}).get(item["id"])
        kept = (stored.exceptions, stored.cancelled) if stored else ({}, {})
        self.mailboxes[mailbox][item["id"]] = _Stored(item, properties, version, False, *kept)
        return item

    def _create(self, mailbox: str, body: dict):
        if "start" not in body or "end" not in body:
            return _error(400, "ErrorInvalidRequest", "start and end are required")
        if problem := invalid_recurrence(body):
            return _error(400, "ErrorInvalidRequest", problem)
        transaction = body.get("transactionId")
        for stored in self.mailboxes.get(mailbox, {}).values():
            if (
                transaction
                and stored.item.get("transactionId") == transaction
                and not stored.deleted
            ):
                return 201, {}, stored.item
        properties = body.pop("singleValueExtendedProperties", [])
        item = body | {
            "id": "AAMk" + uuid.uuid4().hex,
            "originalStartTimeZone": windows_name(body["start"].get("timeZone")),
            "originalEndTimeZone": windows_name(body["end"].get("timeZone")),
        }
        if item.get("recurrence"):  # the series' zone is answered by its Windows name too
            span = item["recurrence"]["range"]
            span["recurrenceTimeZone"] = windows_name(span.get("recurrenceTimeZone"))
        self._invite(body, item["id"])
        return 201, {}, self._put(mailbox, item, properties)

    def _event(self, method: str, mailbox: str, event_id: str, body: dict, headers):
        if current := self._instance(mailbox, event_id):
            return self._on_instance(method, mailbox, event_id, current[1], body, headers)
        stored = self.mailboxes.get(mailbox, {}).get(event_id)
        if stored is None or stored.deleted:
            return _not_found()
        if_match = headers.get("If-Match")
        if method in ("PATCH", "DELETE") and if_match and if_match != stored.item["@odata.etag"]:
            return _error(
                412,
                "ErrorIrresolvableConflict",
                "The change key passed in the request does not match the current change key.",
            )
        if method == "GET":
            return 200, {}, stored.item
        if method == "DELETE":
            self.remove(mailbox, event_id)
            return 204, {}, None
        if method == "PATCH":
            if problem := invalid_recurrence(stored.item | body):
                return _error(400, "ErrorInvalidRequest", problem)
            properties = body.pop("singleValueExtendedProperties", stored.properties)
            self._invite(body, event_id)
            return 200, {}, self._put(mailbox, stored.item | body, properties)
        return _error(405, "BadRequest", method)

    def _query(self, mailbox: str, params: dict):
        """``$filter=singleValueExtendedProperties/Any(ep: ep/id eq '..' and ep/value eq '..')``."""
        match = re.search(
            r"ep/id eq '(.+?)' and ep/value eq '((?:[^']|'')*)'", params.get("$filter", "")
        )
        if not match:
            return _error(400, "ErrorInvalidUrlQueryFilter", "unsupported $filter")
        prop_id, value = match[1], match[2].replace("''", "'")
        found = []
        for stored in self.mailboxes.get(mailbox, {}).values():
            if stored.deleted:
                continue
            props = [p for p in stored.properties if p["id"].lower() == prop_id.lower()]
            if any(p["value"] == value for p in props):
                found.append(
                    stored.item
                    | ({"singleValueExtendedProperties": props} if "$expand" in params else {})
                )
        return 200, {}, {"value": found}

    def _delta(self, mailbox: str, params: dict):
        if "$skiptoken" in params:
            page = self._skip_tokens.pop(params["$skiptoken"], None)
            if page is None:
                return _error(400, "BadRequest", "invalid skip token")
            return 200, {}, self._page(mailbox, *page)
        if "$deltatoken" in params:
            state = self._delta_tokens.get(params["$deltatoken"])
            if state is None:
                return _error(410, "SyncStateNotFound", "The sync state generation is not found.")
            since, _mb, low, high = state
        else:
            since, low, high = 0, params.get("startDateTime"), params.get("endDateTime")
            if not low or not high:
                return _error(
                    400, "ErrorInvalidParameter", "startDateTime and endDateTime are required"
                )
        start, end = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in (low, high))
        rows = []
        for stored in self.mailboxes.get(mailbox, {}).values():
            if stored.version <= since:
                continue
            if stored.item.get("recurrence"):  # calendarView lists a series' occurrences
                found = self._instances_of(stored, start, end)
                listed = [] if stored.deleted else found
                gone = [row["id"] for row in found] if not listed else []
                # Occurrences deleted since the last round are reported removed by their id.
                gone += [
                    self._register(stored, o) for o, v in stored.cancelled.items() if v > since
                ]
            else:
                inside = (
                    not stored.deleted
                    and _instant(stored.item["end"]) > start
                    and _instant(stored.item["start"]) < end
                )
                listed = [stored.item] if inside else []
                gone = [] if listed else [stored.item["id"]]
            rows += listed
            if since:  # later rounds also report departures
                rows += [
                    {
                        "@odata.type": "#microsoft.graph.event",
                        "id": i,
                        "@removed": {"reason": "deleted"},
                    }
                    for i in gone
                ]
        token = uuid.uuid4().hex
        self._delta_tokens[token] = (next(self._clock), mailbox, low, high)
        return 200, {}, self._page(mailbox, rows, token)

    def _page(self, mailbox: str, rows: list[dict], delta_token: str) -> dict:
        base = f"{self.graph_url}/users/{quote(mailbox)}/calendarView/delta"
        body: dict[str, Any] = {"value": rows[: self.page_size]}
        if len(rows) > self.page_size:
            skip = uuid.uuid4().hex
            self._skip_tokens[skip] = (rows[self.page_size :], delta_token)
            body["@odata.nextLink"] = f"{base}?$skiptoken={skip}"
        else:
            body["@odata.deltaLink"] = f"{base}?$deltatoken={delta_token}"
        return body

    # -- subscriptions -----------------------------------------------------------------------
    def _subscriptions(self, method: str, path: str, body: dict):
        sub_id = path.removeprefix("/subscriptions").strip("/")
        if method == "POST" and not sub_id:
            return self._subscribe(body)
        subscription = self.subscriptions.get(sub_id)
        if subscription is None:
            return _error(404, "ResourceNotFound", f"The object '{sub_id}' doesn't exist.")
        if method == "DELETE":
            del self.subscriptions[sub_id]
            return 204, {}, None
        if method == "PATCH":
            problem = self._check_expiry(body.get("expirationDateTime"))
            if problem:
                return problem
            subscription["expirationDateTime"] = body["expirationDateTime"]
            return 200, {}, subscription
        return 200, {}, subscription

    def _check_expiry(self, raw: str | None):
        if not raw:
            return _error(400, "InvalidRequest", "expirationDateTime is required")
        expiry = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if expiry > datetime.now(UTC) + MAX_SUBSCRIPTION:
            return _error(
                400,
                "InvalidRequest",
                "Subscription expiration can only be 10080 minutes in the future.",
            )
        return None

    def _subscribe(self, body: dict):
        url = body.get("notificationUrl", "")
        if not url.startswith("https://"):
            return _error(400, "InvalidRequest", "The notification URL must use HTTPS.")
        problem = self._check_expiry(body.get("expirationDateTime"))
        if problem:
            return problem
        if self.validate_notification_url is not None:
            token = secrets.token_urlsafe(12)
            if self.validate_notification_url(url, token) != token:
                return _error(400, "ValidationError", "Subscription validation request failed.")
        subscription = {
            "id": str(uuid.uuid4()),
            **{
                k: body.get(k)
                for k in (
                    "resource",
                    "changeType",
                    "notificationUrl",
                    "lifecycleNotificationUrl",
                    "clientState",
                )
            },
            "expirationDateTime": body["expirationDateTime"],
        }
        self.subscriptions[subscription["id"]] = subscription
        return 201, {}, subscription
