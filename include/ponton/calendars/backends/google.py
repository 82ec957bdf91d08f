"""The Google Calendar backend of the RemoteCalendar port, over google-api-python-client.

Built from a ready ``service`` (``googleapiclient.discovery.build``) and
:class:`GoogleCalendarOptions`, so it stays free of Airflow (``ponton.hooks.google_calendar`` only
authenticates). Paging, batching (<= 50 calls per batch), retries and the translation of Google
errors into ponton errors all happen here, each in one place. Series occurrences (exception
instances, cancelled instances) are read and written by the ``GoogleSeries`` mixin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from googleapiclient.http import BatchHttpRequest

from ponton.calendars.backends.google_errors import http_status, translate
from ponton.calendars.backends.google_instances import (
    Call,
    GoogleSeries,
    is_override,
)
from ponton.calendars.backends.google_mapping import (
    event_id_for,
    from_google,
    is_cancelled,
    series_id_of,
    to_google,
)
from ponton.errors import (
    ConfigError,
    InvalidInputError,
    PontonError,
    PreconditionFailed,
    ThrottledError,
)
from ponton.model import Event
from ponton.retry import RetryPolicy, is_retryable
from ponton.sync.filters import send_updates_from
from ponton.sync.planner import series_in_window
from ponton.sync.port import ChangeSet, Channel, RemoteEvent, RemoteWrite, WriteResult

BATCH_LIMIT = 50
DEFAULT_BATCH_URI = "https://www.googleapis.com/batch/calendar/v3"
PAGE_SIZE = 2500


@dataclass(frozen=True, kw_only=True)
class GoogleCalendarOptions:
    """What a binding tunes (``options`` JSON), plus where the calendar is.

    ``conn_id`` only names the credentials in error messages; ``batch_uri`` follows the API
    endpoint's host (the client library would always use googleapis.com)."""

    calendar_id: str = "primary"
    conn_id: str = "google_calendar_default"
    batch_uri: str = DEFAULT_BATCH_URI
    write_attendees: bool = True
    # Google may mail every guest of a write unless told not to: no invitation storms.
    send_updates: str = "none"
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_binding(cls, options: Mapping[str, Any] | None, **where: Any) -> GoogleCalendarOptions:
        """From a binding's options: ``write_attendees`` (default True), ``send_updates`` (default
        "none": guests are never mailed), ``retry_attempts``,
        ``retry_max_seconds``; ``where`` names the calendar, connection and batch URI."""
        options = options or {}
        return cls(
            write_attendees=bool(options.get("write_attendees", True)),
            send_updates=send_updates_from(options),
            retry=RetryPolicy.from_options(options),
            **where,
        )


class GoogleCalendarBackend(GoogleSeries):
    """One Google calendar seen through the RemoteCalendar port, with push channels."""

    capabilities = frozenset({"read", "write", "incremental"})
    webhook_route = "google"

    def __init__(self, *, service: Any, options: GoogleCalendarOptions) -> None:
        self.service = service
        self.options = options
        self.calendar_id = options.calendar_id
        self.conn_id = options.conn_id
        self.batch_uri = options.batch_uri
        self.write_attendees = options.write_attendees
        self.send_updates = options.send_updates
        self.retry = options.retry
        self._warnings: list[str] = []

    # -- the one way calls are made ---------------------------------------------------------------
    def _execute(self, build: Callable[[], Any], what: str) -> Any:
        for attempt in self.retry.retrying():
            with attempt:
                try:
                    return build().execute(num_retries=0)
                except Exception as exc:
                    raise translate(exc, conn_id=self.conn_id, what=what) from exc
        raise AssertionError("unreachable: tenacity reraises")

    def _execute_batch(self, calls: dict[str, Call], what: str) -> None:
        """Run ``calls`` in batches of <= 50, resubmitting only the throttled or failed ones."""
        keys = list(calls)
        for offset in range(0, len(keys), BATCH_LIMIT):
            pending = keys[offset : offset + BATCH_LIMIT]
            for attempt in self.retry.retrying():
                with attempt:
                    pending = self._one_batch(calls, pending, what)
                    if pending:
                        waits = [calls[k].error.retry_after for k in pending]
                        raise ThrottledError(
                            f"{what}: {len(pending)} call(s) throttled in a batch",
                            max((w for w in waits if w is not None), default=None),
                        )

    def _one_batch(self, calls: dict[str, Call], keys: list[str], what: str) -> list[str]:
        def collect(request_id: str, response: Any, exception: Exception | None) -> None:
            call = calls[request_id]
            call.outcome, call.error = response, None
            if exception is not None:
                call.error = translate(exception, conn_id=self.conn_id, what=what)

        batch = BatchHttpRequest(callback=collect, batch_uri=self.batch_uri)
        for key in keys:
            batch.add(calls[key].build(), request_id=key)
        try:
            batch.execute()
        except Exception as exc:
            raise translate(exc, conn_id=self.conn_id, what=what) from exc
        return [k for k in keys if calls[k].error is not None and is_retryable(calls[k].error)]

    # -- reads ------------------------------------------------------------------------------------
    def _list_all(self, **params: Any) -> tuple[list[dict], str | None]:
        events = self.service.events()
        items: list[dict] = []
        page_token = None
        while True:
            page = self._execute(
                lambda token=page_token: events.list(
                    calendarId=self.calendar_id, maxResults=PAGE_SIZE, pageToken=token, **params
                ),
                f"list Google calendar {self.calendar_id!r}",
            )
            items.extend(page.get("items", ()))
            page_token = page.get("nextPageToken")
            if not page_token:
                return items, page.get("nextSyncToken")

    def _read(self, item: dict[str, Any], warnings: list[str] | None = None) -> RemoteEvent:
        return from_google(item, warnings)

    def rejected_components(self) -> list[str]:
        """Events the last listing kept in UTC because their zone is unknown (ParseDiagnostics)."""
        return list(self._warnings)

    def derived_uids(self) -> list[str]:
        """None: every event here has the service's own id (ParseDiagnostics)."""
        return []

    def list_changes(self, cursor: str | None, start: datetime, end: datetime) -> ChangeSet:
        self._warnings = []
        if cursor:
            try:
                items, token = self._list_all(syncToken=cursor)
            except (InvalidInputError, ConfigError) as exc:
                if http_status(exc) != 410:  # 410: the token expired, a full listing follows
                    raise
            else:
                return self._incremental(items, token, start, end)
        items, token = self._list_all(
            timeMin=_rfc3339(start), timeMax=_rfc3339(end), showDeleted=False
        )
        events, _ = self._events_of(items)
        return ChangeSet(events, full=True, cursor=token)

    def _incremental(self, items: list[dict], token: str | None, start, end) -> ChangeSet:
        events, deleted = self._events_of(items)
        changed = []
        for remote in events:
            if _in_window(remote.event, start, end):
                changed.append(remote)
            else:  # moved out of the window: it has left this view, as in a full listing
                deleted.append(remote.remote_id)
        return ChangeSet(changed, full=False, cursor=token, deleted=deleted)

    def find(self, platform_uid: str) -> RemoteEvent | None:
        try:
            item = self._execute(
                lambda: self.service.events().get(
                    calendarId=self.calendar_id, eventId=event_id_for(platform_uid)
                ),
                f"find {platform_uid!r} in Google calendar {self.calendar_id!r}",
            )
        except ConfigError as exc:
            if http_status(exc) == 404:
                return None
            raise
        return None if is_cancelled(item) else self._read(item)

    # -- writes -----------------------------------------------------------------------------------
    def apply_writes(self, writes: Sequence[RemoteWrite]) -> list[WriteResult]:
        """Masters and single events first, then overrides (their instances need the series),
        then overrides given back to their series (which needs the master's fields)."""
        events = self.service.events()
        calls: dict[str, Call] = {}
        overrides: dict[str, Call] = {}
        given_back: dict[str, RemoteWrite] = {}
        settled: dict[str, Call] = {}  # no request to make
        deleted_series = {w.remote_id for w in writes if w.op == "delete" and not is_override(w)}
        for i, write in enumerate(writes):
            key = str(i)
            try:
                if not is_override(write):
                    calls[key] = Call(self._request_for(events, write))
                elif write.op != "delete":
                    overrides[key] = Call(self._override_request(events, write))
                elif series_id_of(write.remote_id) in deleted_series:
                    settled[key] = Call(lambda: None)  # goes with its series
                else:
                    given_back[key] = write
            except PontonError as exc:  # this write alone cannot be sent
                settled[key] = Call(lambda: None, error=exc)
        what = f"write to Google calendar {self.calendar_id!r}"
        self._execute_batch(calls, what)
        self._execute_batch(overrides, what)
        calls |= overrides | self._give_back(events, given_back) | settled
        # A create that met 409 hit our own client-set id: adopt (or restore) that event.
        duplicates = {
            key: writes[int(key)]
            for key, call in calls.items()
            if writes[int(key)].op == "create" and http_status(call.error) == 409
        }
        if duplicates:
            self._adopt_duplicates(events, duplicates, calls)
        return [self._result(w, calls[str(i)]) for i, w in enumerate(writes)]

    def _request_for(self, events: Any, write: RemoteWrite) -> Callable[[], Any]:
        if write.op == "create":
            body = self._body(write)
            return lambda: events.insert(
                calendarId=self.calendar_id, body=body, sendUpdates=self.send_updates
            )
        if write.op == "update":
            body = self._body(write) | {"id": write.remote_id}
            return self._updating(events, write.remote_id, body, write.etag)
        return self._deleting(events, write.remote_id, write.etag)

    def _body(self, write: RemoteWrite) -> dict[str, Any]:
        if write.event is None:
            raise InvalidInputError(f"{write.op} of {write.platform_uid!r} carries no event")
        return to_google(write.event, write.platform_uid, write_attendees=self.write_attendees)

    def _adopt_duplicates(self, events, duplicates: dict[str, RemoteWrite], calls) -> None:
        lookups = self._get_all(
            {key: event_id_for(w.platform_uid) for key, w in duplicates.items()},
            f"read back existing events in {self.calendar_id!r}",
        )
        restores = {}
        for key, lookup in lookups.items():
            calls[key].outcome, calls[key].error = lookup.outcome, lookup.error
            if lookup.error is None and is_cancelled(lookup.outcome):
                # Deleted earlier: Google keeps the id, so recreating means updating it back.
                body = self._body(duplicates[key])
                restores[key] = Call(self._updating(events, body["id"], body))
        if restores:
            self._execute_batch(restores, f"restore deleted events in {self.calendar_id!r}")
            for key, call in restores.items():
                calls[key].outcome, calls[key].error = call.outcome, call.error

    def _result(self, write: RemoteWrite, call: Call) -> WriteResult:
        error = call.error
        if write.op == "delete":
            if error is not None and http_status(error) in (404, 410):
                return WriteResult(write)  # already gone: the goal is reached
            return WriteResult(write, error=error)
        if is_override(write):
            return self._override_result(write, call)
        if error is not None:
            if write.op == "update" and http_status(error) in (404, 410):
                error = PreconditionFailed(f"{write.remote_id} is gone from Google")
            return WriteResult(write, error=error)
        return WriteResult(write, self._read(call.outcome))

    # -- push (PushChannels) ----------------------------------------------------------------------
    def open_channel(
        self, *, channel_id: str, address: str, token: str, expires_at: datetime
    ) -> Channel:
        """``events.watch``; Google caps the lifetime and answers the expiry it granted."""
        expiration = int(expires_at.timestamp() * 1000)
        body = {
            "id": channel_id,
            "type": "web_hook",
            "address": address,
            "token": token,
            "expiration": expiration,
        }
        channel = self._execute(
            lambda: self.service.events().watch(calendarId=self.calendar_id, body=body),
            f"watch Google calendar {self.calendar_id!r}",
        )
        expires = datetime.fromtimestamp(int(channel["expiration"]) / 1000, UTC)
        return Channel(channel_id, expires, channel["resourceId"])

    def renew_channel(self, channel: Channel, *, expires_at: datetime) -> Channel | None:
        """Google channels cannot be extended: the caller opens the next one."""
        return None

    def close_channel(self, channel: Channel) -> bool:
        """``channels.stop``; False when Google no longer knows it (expired or stopped)."""
        body = {"id": channel.channel_id, "resourceId": channel.resource_id}
        try:
            self._execute(
                lambda: self.service.channels().stop(body=body),
                f"stop Google channel {channel.channel_id!r}",
            )
        except ConfigError as exc:
            if http_status(exc) != 404:
                raise
            return False
        return True


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _in_window(event: Event, start: datetime, end: datetime) -> bool:
    """What a full listing of [start, end) would show: Google lists a recurring master when ANY
    of its instances overlaps the window, not by its first one."""
    if event.recurrence:
        return series_in_window(event, start, end)
    if event.all_day:
        return event.start < end.date() and event.end > start.date()
    return event.start < end and event.end > start
