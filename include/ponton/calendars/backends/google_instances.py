"""Recurring series in Google Calendar: exception instances and cancelled stubs read as the
overrides of their series, and overrides written to their instance ids.

Mixed into :class:`~ponton.calendars.backends.google.GoogleCalendarBackend` (which provides the
service, the calendar id and the batch machinery); the event JSON itself is in ``google_mapping``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ponton.calendars.backends.google_errors import http_status
from ponton.calendars.backends.google_mapping import (
    cancelled_occurrence,
    is_cancelled,
    occurrence_from_google,
    plain_occurrence_body,
    platform_uid_of,
    series_id_of,
    series_of,
    to_google,
)
from ponton.errors import PontonError, PreconditionFailed
from ponton.sync.port import RemoteEvent, RemoteWrite, WriteResult

_GONE = {"status": "cancelled"}


@dataclass
class Call:
    """One pending API call of a batch; ``build`` makes a fresh request for each attempt."""

    build: Callable[[], Any]
    outcome: Any = None
    error: PontonError | None = None


class GoogleSeries:
    """Reading and writing the occurrences of series, for the Google backend."""

    service: Any
    calendar_id: str
    send_updates: str
    _warnings: list[str]

    def _events_of(self, items: list[dict]) -> tuple[list[RemoteEvent], list[str]]:
        """(events, ids gone): exception instances and cancelled stubs become overrides of their
        series. An exception ponton wrote names its series itself; for the others the master is
        taken from the listing, or fetched (one batch) when the listing lacks it."""
        masters = {i["id"]: i for i in items if "recurringEventId" not in i}
        wanted = {i["recurringEventId"] for i in items if _needs_master(i)}
        masters |= self._masters(wanted - masters.keys())
        events, gone = [], []
        for item in items:
            series = item.get("recurringEventId")
            master = item if series is None else masters.get(series, item)
            if is_cancelled(master) or "start" not in master:
                gone.append(item["id"])  # deleted, or an instance of a deleted series
            elif series is None:
                events.append(self._read(item, self._warnings))
            else:
                events.append(
                    occurrence_from_google(item, **series_of(master), warnings=self._warnings)
                )
        return events, gone

    def _masters(self, ids: set[str]) -> dict[str, dict]:
        """The masters of series ``ids``; a series Google no longer has reads as cancelled."""
        calls = self._get_all(
            {mid: mid for mid in sorted(ids)}, f"read recurring events of {self.calendar_id!r}"
        )
        masters = {}
        for mid, call in calls.items():
            if call.error is not None and http_status(call.error) not in (404, 410):
                raise call.error
            masters[mid] = call.outcome if call.error is None else _GONE
        return masters

    def _get_all(self, event_ids: dict[str, str], what: str) -> dict[str, Call]:
        """``events.get`` of each event id, in batches, by the caller's key."""
        events = self.service.events()
        calls = {
            key: Call(lambda e=event_id: events.get(calendarId=self.calendar_id, eventId=e))
            for key, event_id in event_ids.items()
        }
        self._execute_batch(calls, what)
        return calls

    def _updating(self, events: Any, event_id: str, body: dict, etag: str | None = None):
        """An ``events.update`` request builder, ``If-Match`` guarded when ``etag`` is known."""
        return lambda: if_match(
            events.update(
                calendarId=self.calendar_id,
                eventId=event_id,
                body=body,
                sendUpdates=self.send_updates,
            ),
            etag,
        )

    def _deleting(self, events: Any, event_id: str, etag: str | None = None):
        """An ``events.delete`` request builder, ``If-Match`` guarded when ``etag`` is known."""
        return lambda: if_match(
            events.delete(
                calendarId=self.calendar_id, eventId=event_id, sendUpdates=self.send_updates
            ),
            etag,
        )

    def _override_request(self, events: Any, write: RemoteWrite) -> Callable[[], Any]:
        """One request per override: its instance updated in place (an exception), or deleted
        (a cancelled instance); ``If-Match`` once ponton knows the instance's etag."""
        body = self._body(write)
        instance_id = write.remote_id or body["id"]
        etag = write.etag if write.op == "update" else None
        if write.event.status == "CANCELLED":
            return self._deleting(events, instance_id, etag)
        return self._updating(events, instance_id, body | {"id": instance_id}, etag)

    def _give_back(self, events: Any, writes: dict[str, RemoteWrite]) -> dict[str, Call]:
        """Overrides removed on the platform: their instances get the series' own fields again
        (deleting one would cancel the occurrence). Google keeps such an instance as an
        exception, so it reads back as an override equal to the series' occurrence. A series
        gone takes its instances with it."""
        lookups = self._get_all(
            {key: series_id_of(w.remote_id) for key, w in writes.items()},
            f"read recurring events of {self.calendar_id!r}",
        )
        puts = {}
        for key, lookup in lookups.items():
            if lookup.error is None and not is_cancelled(lookup.outcome):
                body = plain_occurrence_body(lookup.outcome, writes[key].remote_id)
                puts[key] = Call(self._updating(events, body["id"], body, writes[key].etag))
        self._execute_batch(puts, f"give occurrences back in {self.calendar_id!r}")
        return lookups | puts

    def _override_result(self, write: RemoteWrite, call: Call) -> WriteResult:
        event, error = write.event, call.error
        instance_id = write.remote_id or to_google(event, write.platform_uid)["id"]
        cancelling = event.status == "CANCELLED"
        if cancelling and http_status(error) == 410:
            error = None  # cancelled already: the goal is reached
        if http_status(error) in (404, 410):
            error = PreconditionFailed(
                f"occurrence {instance_id} of series {write.platform_uid!r} is not in Google "
                "(the series is missing, or has no such occurrence)"
            )
        if error is not None:
            return WriteResult(write, error=error)
        uid = write.platform_uid
        if cancelling:
            remote = cancelled_occurrence(
                uid, event.recurrence_id, event.timezone, instance_id, platform_uid=uid
            )
        else:
            remote = occurrence_from_google(
                call.outcome, uid=uid, platform_uid=uid, timezone=event.timezone
            )
        return WriteResult(write, remote)


def _needs_master(item: dict[str, Any]) -> bool:
    """An instance that does not say which platform series it belongs to (a stub, or an
    exception made in Google: Google does not document copying the master's properties)."""
    return "recurringEventId" in item and (is_cancelled(item) or platform_uid_of(item) is None)


def is_override(write: RemoteWrite) -> bool:
    """A write to one occurrence of a series (its instance), not to a whole event."""
    if write.event is not None:
        return write.event.recurrence_id is not None
    return bool(write.remote_id) and series_id_of(write.remote_id) is not None


def if_match(request: Any, etag: str | None) -> Any:
    if etag:
        request.headers["If-Match"] = etag
    return request
