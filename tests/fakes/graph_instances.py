"""The Graph fake's occurrences and exceptions of series: ``/events/{id}/instances``, an
occurrence read, updated (it becomes an exception) or deleted through its own id. Behaviour and
its documentation: ``tests.fakes.graph_series``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tests.fakes.graph_render import zone_of
from tests.fakes.graph_series import occurrence_id, occurrence_row, occurrences


@dataclass
class _Stored:
    item: dict[str, Any]
    properties: list[dict[str, str]]
    version: int
    deleted: bool = False
    # A series' exceptions and deleted occurrences by ``originalStart`` (tests.fakes.graph_series);
    # a deletion keeps the clock value it happened at, for delta's ``@removed`` rows.
    exceptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancelled: dict[str, int] = field(default_factory=dict)


def _error(status: int, code: str, message: str) -> tuple[int, dict, dict]:
    return status, {}, {"error": {"code": code, "message": message}}


def _not_found() -> tuple[int, dict, dict]:
    return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def _zone(raw: dict[str, str]):
    return zone_of(raw.get("timeZone"))


class SeriesInstances:
    """Mixed into ``FakeGraph`` (which provides mailboxes, the clock, ``remove`` and paging)."""

    def instances(self, mailbox: str, master_id: str, start: datetime, end: datetime) -> list:
        """Back door: what ``GET /events/{id}/instances`` lists (stored form, times as written)."""
        return self._instances_of(self.mailboxes[mailbox][master_id], start, end)

    def _delete_instance(self, mailbox: str, event_id: str) -> None:
        """One occurrence deleted: absent from its series' listings from now on."""
        master_id, original = self._occurrences[event_id]
        master = self.mailboxes[mailbox][master_id]
        master.version = next(self._clock)
        master.cancelled[original] = master.version
        master.exceptions.pop(original, None)

    def _register(self, stored: _Stored, original: str) -> str:
        row_id = occurrence_id(stored.item["id"], original)
        self._occurrences[row_id] = (stored.item["id"], original)
        return row_id

    def _instances_of(self, stored: _Stored, start: datetime, end: datetime) -> list[dict]:
        rows = occurrences(
            stored.item,
            start,
            end,
            _zone(stored.item["start"]),
            exceptions=stored.exceptions,
            cancelled=stored.cancelled,
            zone_of=zone_of,
        )
        for row in rows:
            self._occurrences[row["id"]] = (stored.item["id"], row["originalStart"])
        return rows

    def _instance(self, mailbox: str, event_id: str) -> tuple[_Stored, dict] | None:
        """(master, current row) of an occurrence or exception id still in its series."""
        if event_id not in self._occurrences:
            return None
        master_id, original = self._occurrences[event_id]
        stored = self.mailboxes.get(mailbox, {}).get(master_id)
        if stored is None or stored.deleted or original in stored.cancelled:
            return None
        if original in stored.exceptions:
            return stored, stored.exceptions[original]
        zone = _zone(stored.item["start"])
        moment = datetime.fromisoformat(original.replace("Z", "+00:00"))
        return stored, occurrence_row(
            stored.item, moment.astimezone(zone).replace(tzinfo=None), zone
        )

    def _except(self, mailbox: str, event_id: str, fields: dict) -> dict:
        """An occurrence updated on its own becomes an exception of its series, same id."""
        stored, row = self._instance(mailbox, event_id)
        change_key = uuid.uuid4().hex[:16]
        original = self._occurrences[event_id][1]
        exception = (
            row
            | fields
            | {
                "type": "exception",
                "changeKey": change_key,
                "@odata.etag": f'W/"{change_key}"',
                "lastModifiedDateTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
        )
        stored.exceptions[original] = exception
        stored.version = next(self._clock)
        return exception

    def _on_instance(self, method, mailbox, event_id, row, body, headers):
        """GET, PATCH (-> exception) or DELETE of one occurrence of a series by its id."""
        if_match = headers.get("If-Match")
        if method in ("PATCH", "DELETE") and if_match and if_match != row["@odata.etag"]:
            return _error(
                412,
                "ErrorIrresolvableConflict",
                "The change key passed in the request does not match the current change key.",
            )
        if method == "GET":
            return 200, {}, row
        if method == "DELETE":
            self.remove(mailbox, event_id)
            return 204, {}, None
        if method == "PATCH":
            # An occurrence has no pattern of its own; the docs are silent on a PATCH that
            # gives one: the harsher reading refuses it.
            if body.get("recurrence"):
                return _error(400, "ErrorInvalidRequest", "an occurrence cannot have a recurrence")
            fields = {
                k: v
                for k, v in body.items()
                if k not in ("recurrence", "singleValueExtendedProperties", "transactionId")
            }
            self._invite(body, event_id)
            return 200, {}, self._except(mailbox, event_id, fields)
        return _error(405, "BadRequest", method)

    def _list_instances(self, method: str, mailbox: str, event_id: str, params: dict):
        """``GET /events/{id}/instances?startDateTime&endDateTime``: "the occurrences and
        exceptions of the event in the specified time range" of a seriesMaster
        (https://learn.microsoft.com/graph/api/event-list-instances); both parameters are
        required. Paged like calendarView (the docs are silent on the size; this fake's
        ``page_size``), with ``@odata.nextLink``."""
        if method != "GET":
            return _error(405, "BadRequest", method)
        if "$skiptoken" in params:
            page = self._instance_pages.pop(params["$skiptoken"], None)
            if page is None:
                return _error(400, "BadRequest", "invalid skip token")
            return 200, {}, self._instance_page(*page)
        stored = self.mailboxes.get(mailbox, {}).get(event_id)
        if stored is None or stored.deleted:
            return _not_found()
        low, high = params.get("startDateTime"), params.get("endDateTime")
        if not low or not high:
            return _error(
                400, "ErrorInvalidParameter", "startDateTime and endDateTime are required"
            )
        start, end = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in (low, high))
        rows = self._instances_of(stored, start, end) if stored.item.get("recurrence") else []
        base = f"{self.graph_url}/users/{quote(mailbox)}/events/{quote(event_id)}/instances"
        return 200, {}, self._instance_page(rows, base)

    def _instance_page(self, rows: list[dict], base: str) -> dict:
        body: dict[str, Any] = {"value": rows[: self.page_size]}
        if len(rows) > self.page_size:
            skip = uuid.uuid4().hex
            self._instance_pages[skip] = (rows[self.page_size :], base)
            body["@odata.nextLink"] = f"{base}?$skiptoken={skip}"
        return body
