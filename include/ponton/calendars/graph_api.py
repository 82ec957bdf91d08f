"""The Outlook adapter of the RemoteCalendar port, over Microsoft Graph with ``requests``.

Why not the Kiota-based msgraph SDK: it is async end to end, while the port (and the sync engine
on top of it) is synchronous; a ``requests`` session with azure-identity tokens keeps paging, JSON
``$batch`` (<= 20), per-request 429 retries and error translation visible in one small module.
At most 4 requests are in flight per mailbox in this process (Outlook's documented concurrency).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from ponton.calendars.outlook import UID_PROPERTY_ID, from_graph, to_graph
from ponton.errors import (
    ConfigError,
    InvalidInputError,
    PontonError,
    PreconditionFailed,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.retry import RetryPolicy, is_retryable, parse_retry_after
from ponton.sync.port import ChangeSet, RemoteEvent, RemoteWrite, WriteResult

BATCH_LIMIT = 20
MAILBOX_CONCURRENCY = 4
RUNBOOK = "docs/integrations/outlook.md#re-authorisation"
_mailbox_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def mailbox_slot(mailbox: str) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _mailbox_slots.setdefault(
            mailbox.lower(), threading.BoundedSemaphore(MAILBOX_CONCURRENCY)
        )


def translate(
    status: int, body: Any, headers: Any, *, conn_id: str, what: str
) -> PontonError | None:
    """Every Graph failure becomes a ponton error here, and nowhere else (None: success)."""
    if status < 400:
        return None
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code", "") if isinstance(error, dict) else str(error)
    message = error.get("message", "") if isinstance(error, dict) else ""
    retry_after = parse_retry_after((headers or {}).get("Retry-After"))
    if status == 429:
        result: PontonError = ThrottledError(
            f"{what}: Graph throttled ponton ({code})", retry_after
        )
    elif status >= 500:
        result = ThrottledError(f"{what}: Graph answered {status} {code}", retry_after)
    elif status == 401:
        result = ReauthorizationRequired(conn_id, f"Graph answered 401 {code}", RUNBOOK)
    elif status == 412:
        result = PreconditionFailed(f"{what}: changed in Outlook since ponton read it")
    elif status == 403:
        result = ConfigError(
            f"{what}: Graph answered 403 {code} ({message}); grant Calendars.ReadWrite "
            f"(application) with admin consent to the app of connection {conn_id!r}, and check "
            "any application access policy restricting its mailboxes"
        )
    elif status == 404:
        result = ConfigError(f"{what}: not found in Graph ({code}); check the mailbox/calendar id")
    else:
        result = InvalidInputError(
            f"{what}: Graph refused the request ({status} {code}: {message})"
        )
    result.http_status = status
    return result


def http_status(error: BaseException | None) -> int | None:
    return getattr(error, "http_status", None)


class GraphSession:
    """Authenticated calls to one Graph base URL; ``token`` returns a fresh bearer token."""

    def __init__(
        self,
        base_url: str,
        token: Callable[[], str],
        *,
        conn_id: str,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.conn_id = conn_id
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.http = requests.Session()

    def _send(self, mailbox: str, method: str, url: str, **kwargs: Any) -> requests.Response:
        target = (
            url if url.startswith("https://") or url.startswith("http://") else self.base_url + url
        )
        headers = {"Authorization": f"Bearer {self.token()}"} | kwargs.pop("headers", {})
        with mailbox_slot(mailbox):
            try:
                return self.http.request(
                    method, target, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as exc:
                raise TransientError(f"Graph {method} {url}: {exc}") from exc

    def call(self, mailbox: str, method: str, url: str, what: str, **kwargs: Any) -> Any:
        """One request with retries; returns the decoded body (None for 204)."""
        for attempt in self.retry.retrying():
            with attempt:
                response = self._send(mailbox, method, url, **kwargs)
                body = _json_or_none(response)
                error = translate(
                    response.status_code, body, response.headers, conn_id=self.conn_id, what=what
                )
                if error is not None:
                    raise error
                return body
        raise AssertionError("unreachable: tenacity reraises")

    def batch(self, mailbox: str, requests_: list[dict], what: str) -> list[dict]:
        """JSON ``$batch`` in chunks of <= 20; throttled sub-requests are resent alone."""
        answers: dict[str, dict] = {}
        for offset in range(0, len(requests_), BATCH_LIMIT):
            pending = requests_[offset : offset + BATCH_LIMIT]
            for attempt in self.retry.retrying():
                with attempt:
                    body = self.call(mailbox, "POST", "/$batch", what, json={"requests": pending})
                    retry: dict[str, PontonError] = {}
                    for reply in body["responses"]:
                        answers[reply["id"]] = reply
                        error = translate(
                            reply["status"],
                            reply.get("body"),
                            reply.get("headers"),
                            conn_id=self.conn_id,
                            what=what,
                        )
                        if error is not None and is_retryable(error):
                            retry[reply["id"]] = error
                    pending = [r for r in pending if r["id"] in retry]
                    if pending:
                        waits = [e.retry_after for e in retry.values() if e.retry_after is not None]
                        raise ThrottledError(
                            f"{what}: {len(pending)} request(s) throttled in a batch",
                            max(waits, default=None),
                        )
        return [answers[r["id"]] for r in requests_]


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


class OutlookCalendarAdapter:
    capabilities = frozenset({"read", "write", "incremental", "batch", "push"})

    def __init__(
        self,
        session: GraphSession,
        ref: GraphCalendarRef,
        *,
        write_attendees: bool = False,
        page_size: int = 100,
    ) -> None:
        self.session = session
        self.ref = ref
        self.write_attendees = write_attendees
        self.page_size = page_size

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        return self.session.call(self.ref.mailbox, method, url, what, **kwargs)

    # -- reads ------------------------------------------------------------------------------
    def list_changes(self, cursor: str | None, start: datetime, end: datetime) -> ChangeSet:
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
        series: dict[str, None] = {}  # masters of the occurrences listed, in order
        while True:
            page = self._call("GET", url, what, params=params, headers=headers)
            for item in page.get("value", ()):
                if item.get("seriesMasterId"):
                    series[item["seriesMasterId"]] = None
                elif "@removed" in item or item.get("isCancelled"):
                    deleted.append(item["id"])
                elif item.get("type") == "seriesMaster":
                    series[item["id"]] = None
                else:
                    events.append(from_graph(item))
            params = {}
            if "@odata.nextLink" in page:
                url = page["@odata.nextLink"]
                continue
            cursor = page.get("@odata.deltaLink")
            masters, gone = self._masters(list(series))
            events += masters
            deleted += gone
            if full:
                return ChangeSet(events, full=True, cursor=cursor)
            return ChangeSet(events, full=False, cursor=cursor, deleted=deleted)

    def _masters(self, ids: list[str]) -> tuple[list[RemoteEvent], list[str]]:
        """The series masters of listed occurrences, fetched in one ``$batch``.

        calendarView lists a series as its occurrences (``type: occurrence``, ``seriesMasterId``)
        but ponton syncs the series as one event, its master; a master gone (404) is deleted.
        """
        if not ids:
            return [], []
        requests_ = [
            {"id": str(i), "method": "GET", "url": self._event_url(master_id)}
            for i, master_id in enumerate(ids)
        ]
        what = f"read series masters in Outlook calendar {self.ref.mailbox!r}"
        masters, gone = [], []
        for master_id, reply in zip(
            ids, self.session.batch(self.ref.mailbox, requests_, what), strict=True
        ):
            error = translate(
                reply["status"],
                reply.get("body"),
                reply.get("headers"),
                conn_id=self.session.conn_id,
                what=what,
            )
            if http_status(error) == 404:
                gone.append(master_id)
            elif error is not None:
                raise error
            else:
                masters.append(from_graph(reply["body"]))
        return masters, gone

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
        return from_graph(items[0]) if items else None

    # -- writes -----------------------------------------------------------------------------
    def apply_writes(self, writes: Sequence[RemoteWrite]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        batch = []
        for i, write in enumerate(writes):
            try:
                batch.append(self._request_for(str(i), write))
            except PontonError as exc:
                results[i] = WriteResult(write, error=exc)
        replies = self.session.batch(
            self.ref.mailbox, batch, f"write to Outlook calendar {self.ref.mailbox!r}"
        )
        for reply in replies:
            i = int(reply["id"])
            results[i] = self._result(writes[i], reply)
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
        remote = from_graph(reply["body"])
        if remote.platform_uid is None:
            remote = RemoteEvent(remote.remote_id, remote.event, remote.etag, write.platform_uid)
        return WriteResult(write, remote)

    # -- subscriptions ----------------------------------------------------------------------
    def subscribe(
        self, notification_url: str, client_state: str, expires: datetime, lifecycle_url: str
    ) -> tuple[str, datetime]:
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": notification_url,
            "lifecycleNotificationUrl": lifecycle_url,
            "resource": self.ref.resource,
            "expirationDateTime": _iso(expires),
            "clientState": client_state,
        }
        created = self._call("POST", "/subscriptions", "create Graph subscription", json=body)
        return created["id"], _parse(created["expirationDateTime"])

    def renew(self, subscription_id: str, expires: datetime) -> datetime:
        renewed = self._call(
            "PATCH",
            f"/subscriptions/{quote(subscription_id)}",
            f"renew Graph subscription {subscription_id!r}",
            json={"expirationDateTime": _iso(expires)},
        )
        return _parse(renewed["expirationDateTime"])

    def unsubscribe(self, subscription_id: str) -> bool:
        """False when Graph no longer knows the subscription (expired or removed)."""
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


def _json_or_none(response: requests.Response) -> Any:
    """The decoded body; None when empty or not JSON (a proxy's HTML 502 page, say)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _parse(raw: str) -> datetime:
    head = raw.replace("Z", "").split(".")[0]
    return datetime.fromisoformat(head).replace(tzinfo=UTC)
