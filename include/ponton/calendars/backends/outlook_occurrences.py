"""Reading and writing single occurrences of Outlook series, for :mod:`.outlook`.

Reads: each series a listing touches is read as its master plus ``/events/{id}/instances`` over
the window (one ``$batch``), and mapped by :mod:`.outlook_series`. Writes of an override find the
occurrence with one ``/instances`` lookup around its original start (one ``$batch`` for all of
them; none when the override is already paired with its exception) and PATCH it (it becomes an
exception) or DELETE it (a cancellation), in a second ``$batch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from ponton.calendars.backends.graph import http_status, translate
from ponton.calendars.backends.outlook_mapping import UID_PROPERTY_ID, from_graph, to_graph
from ponton.calendars.backends.outlook_series import (
    MARGIN,
    cancelled_id,
    cancelled_override,
    excluded_starts,
    lookup_window,
    same_occurrence,
    series_components,
    split_cancelled_id,
)
from ponton.errors import InvalidInputError, PontonError, PreconditionFailed
from ponton.model import Event, parse_moment_key
from ponton.sync.port import RemoteEvent, RemoteWrite, WriteResult


def graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


@dataclass
class _Job:
    """One occurrence to PATCH or DELETE for write ``index`` (``exdate``: for a master's EXDATE,
    whose success leaves the master's result as it is)."""

    index: int
    uid: str
    rid: datetime | date
    body: dict[str, Any] | None  # None: delete
    master_id: str | None = None
    occurrence_id: str | None = None
    etag: str | None = None
    exdate: bool = False
    event: Event | None = None  # the version written, for a PATCH


class OccurrenceAccess:
    """Mixed into ``OutlookCalendarBackend`` (session, ref, ``_event_url``, ``_read``)."""

    def _batch_replies(self, requests_: list[dict], what: str) -> dict[str, dict]:
        if not requests_:
            return {}
        replies = self.session.batch(self.ref.mailbox, requests_, what)
        return {reply["id"]: reply for reply in replies}

    def _error_of(self, reply: dict, what: str) -> PontonError | None:
        return translate(
            reply["status"],
            reply.get("body"),
            reply.get("headers"),
            conn_id=self.session.conn_id,
            what=what,
        )

    def _pages(self, first: dict, what: str) -> list[dict]:
        """Every row of a collection whose first page is ``first`` (following nextLinks)."""
        rows, page = list(first.get("value", ())), first
        while "@odata.nextLink" in page:
            page = self._call("GET", page["@odata.nextLink"], what)
            rows += page.get("value", ())
        return rows

    def _instances_url(self, master_id: str, start: datetime, end: datetime) -> str:
        query = urlencode({"startDateTime": graph_time(start), "endDateTime": graph_time(end)})
        return f"{self._event_url(master_id)}/instances?{query}"

    # -- reads --------------------------------------------------------------------------------
    def read_series(
        self, remote_ids: Sequence[str], start: datetime, end: datetime
    ) -> list[RemoteEvent]:
        """:class:`~ponton.sync.port.SeriesReader`: series a full listing missed, read whole."""
        return self._series(list(remote_ids), start, end)[0]

    def _series(
        self, ids: list[str], start: datetime, end: datetime
    ) -> tuple[list[RemoteEvent], list[str]]:
        """The components of each series (master, exceptions, deleted occurrences); the ids of
        masters gone from Outlook (404)."""
        what = f"read series in Outlook calendar {self.ref.mailbox!r}"
        requests_ = []
        for i, master_id in enumerate(ids):
            requests_.append({"id": f"m{i}", "method": "GET", "url": self._event_url(master_id)})
            url = self._instances_url(master_id, start - MARGIN, end + MARGIN)
            requests_.append({"id": f"i{i}", "method": "GET", "url": url})
        replies = self._batch_replies(requests_, what)
        found, gone = [], []
        for i, master_id in enumerate(ids):
            master, instances = replies[f"m{i}"], replies[f"i{i}"]
            error = self._error_of(master, what) or self._error_of(instances, what)
            if http_status(error) == 404:
                gone.append(master_id)
                continue
            if error is not None:
                raise error
            rows = self._pages(instances["body"], what)
            read = self._read(master["body"], self._warnings)
            found += series_components(read, rows, start, end, self._warnings)
        return found, gone

    # -- writes -------------------------------------------------------------------------------
    def _write_occurrences(
        self, writes: Sequence[RemoteWrite], results: dict[int, WriteResult]
    ) -> None:
        """Apply the override writes, and the EXDATEs of the masters just written."""
        jobs: list[_Job] = []
        deleted_series = {
            w.remote_id
            for i, w in enumerate(writes)
            if w.op == "delete" and not w.recurrence_id and results[i].error is None
        }
        written = {
            w.platform_uid: results[i].remote.remote_id
            for i, w in enumerate(writes)
            if not w.recurrence_id and results[i].remote is not None
        }
        for i, write in enumerate(writes):
            if write.recurrence_id:
                try:
                    job = self._job_for(i, write, deleted_series, written)
                except PontonError as exc:
                    results[i] = WriteResult(write, error=exc)
                    continue
                if isinstance(job, WriteResult):
                    results[i] = job
                else:
                    jobs.append(job)
            elif write.event is not None and results[i].remote is not None:
                master_id = results[i].remote.remote_id
                jobs += [
                    _Job(i, write.platform_uid, rid, None, master_id, exdate=True)
                    for rid in excluded_starts(write.event.recurrence, write.event.timezone)
                ]
        self._find_masters(jobs, writes, results)
        self._find_occurrences(jobs, writes, results)
        self._apply_jobs(jobs, writes, results)

    def _job_for(self, i, write: RemoteWrite, deleted_series, written) -> _Job | WriteResult:
        series_id = write.series_id or written.get(write.platform_uid)
        target = split_cancelled_id(write.remote_id) if write.remote_id else None
        rid = parse_moment_key(write.recurrence_id)
        if write.event is not None:
            rid = write.event.recurrence_id
        if write.op == "delete":
            if series_id in deleted_series or (target and target[0] in deleted_series):
                return WriteResult(write)  # gone with its series
            raise InvalidInputError(
                f"occurrence {write.recurrence_id} of {write.platform_uid!r}: Outlook cannot give "
                "a deleted or edited occurrence back to its series; restore it in Outlook, or "
                "keep the override on the platform"
            )
        cancel = write.event.status == "CANCELLED"
        if target is not None:  # deleted in Outlook already
            if cancel:
                return WriteResult(write, self._cancelled(write, target[0], rid))
            raise InvalidInputError(
                f"occurrence {write.recurrence_id} of {write.platform_uid!r} is deleted in "
                "Outlook, which cannot restore it; add it in Outlook as an event of its own, or "
                "cancel it on the platform too"
            )
        body = None
        if not cancel:
            body = to_graph(write.event, write.platform_uid, write_attendees=self.write_attendees)
        job = _Job(
            i, write.platform_uid, rid, body, series_id, event=None if cancel else write.event
        )
        if write.op == "update" and write.remote_id:
            job.occurrence_id, job.etag = write.remote_id, write.etag
        return job

    def _cancelled(self, write: RemoteWrite, master_id: str, rid) -> RemoteEvent:
        zone = write.event.timezone if write.event is not None else None
        return cancelled_override(
            write.platform_uid, rid, cancelled_id(master_id, rid), write.platform_uid, zone
        )

    def _find_masters(self, jobs: list[_Job], writes, results) -> None:
        """The master of each override of a series not paired yet, by its platform uid."""
        wanted = sorted({job.uid for job in jobs if job.master_id is None})
        what = f"find series in Outlook calendar {self.ref.mailbox!r}"
        requests_ = []
        for n, uid in enumerate(wanted):
            value = uid.replace("'", "''")
            query = urlencode(
                {
                    "$filter": (
                        f"singleValueExtendedProperties/Any(ep: ep/id eq '{UID_PROPERTY_ID}' "
                        f"and ep/value eq '{value}')"
                    ),
                    "$select": "id",
                },
                quote_via=quote,
            )
            requests_.append({"id": str(n), "method": "GET", "url": f"{self.ref.events}?{query}"})
        replies = self._batch_replies(requests_, what)
        masters: dict[str, str | PontonError] = {}
        for n, uid in enumerate(wanted):
            reply = replies[str(n)]
            error = self._error_of(reply, what)
            items = [] if error else reply["body"].get("value", [])
            masters[uid] = (
                items[0]["id"]
                if items
                else error
                or PreconditionFailed(
                    f"series {uid!r} is not in Outlook (yet): its occurrence waits for it"
                )
            )
        for job in jobs:
            if job.master_id is None:
                found = masters[job.uid]
                if isinstance(found, PontonError):
                    results[job.index] = WriteResult(writes[job.index], error=found)
                else:
                    job.master_id = found

    def _find_occurrences(self, jobs: list[_Job], writes, results) -> None:
        """The id of each occurrence to write, from ``/instances`` around its original start."""
        what = f"find occurrences in Outlook calendar {self.ref.mailbox!r}"
        pending = [j for j in jobs if j.occurrence_id is None and not _failed(results, j, writes)]
        requests_ = [
            {
                "id": str(n),
                "method": "GET",
                "url": self._instances_url(j.master_id, *lookup_window(j.rid, j.event)),
            }
            for n, j in enumerate(pending)
        ]
        replies = self._batch_replies(requests_, what)
        for n, job in enumerate(pending):
            reply = replies[str(n)]
            error = self._error_of(reply, what)
            if http_status(error) == 404:
                error = PreconditionFailed(f"series {job.uid!r} is gone from Outlook")
            if error is not None:
                results[job.index] = WriteResult(writes[job.index], error=error)
                continue
            rows = [r for r in self._pages(reply["body"], what) if same_occurrence(r, job.rid)]
            if rows:
                job.occurrence_id, job.etag = rows[0]["id"], rows[0].get("@odata.etag")
            elif job.body is not None:
                results[job.index] = WriteResult(
                    writes[job.index],
                    error=InvalidInputError(
                        f"occurrence {job.rid} of {job.uid!r}: no occurrence of the series "
                        "starts there in Outlook (deleted there, or not an occurrence of the "
                        "series); cancel it on the platform or fix its recurrence id"
                    ),
                )

    def _apply_jobs(self, jobs: list[_Job], writes, results) -> None:
        what = f"write occurrences to Outlook calendar {self.ref.mailbox!r}"
        ready = [j for j in jobs if j.occurrence_id and not _failed(results, j, writes)]
        requests_ = []
        for n, job in enumerate(ready):
            request = {"id": str(n), "url": self._event_url(job.occurrence_id), "headers": {}}
            if job.etag:
                request["headers"]["If-Match"] = job.etag
            if job.body is None:
                request["method"] = "DELETE"
            else:
                request |= {"method": "PATCH", "body": job.body}
                request["headers"]["Content-Type"] = "application/json"
            requests_.append(request)
        replies = self._batch_replies(requests_, what)
        for job in jobs:  # an occurrence already deleted in Outlook: nothing to write
            gone = job.occurrence_id is None and job.body is None and not job.exdate
            if gone and not _failed(results, job, writes):
                write = writes[job.index]
                results[job.index] = WriteResult(
                    write, self._cancelled(write, job.master_id, job.rid)
                )
        for n, job in enumerate(ready):
            write, reply = writes[job.index], replies[str(n)]
            error = self._error_of(reply, f"write occurrence {job.rid} of {job.uid!r} in Outlook")
            status = http_status(error)
            if job.body is None and status == 404:
                error = None  # deleted already
            elif status == 404:
                error = PreconditionFailed(f"occurrence {job.rid} of {job.uid!r} is gone")
            if error is not None:
                results[job.index] = WriteResult(write, error=error)
            elif job.exdate:
                continue
            elif job.body is None:
                master_id = job.master_id or reply.get("body", {}).get("seriesMasterId")
                results[job.index] = WriteResult(write, self._cancelled(write, master_id, job.rid))
            else:
                read = from_graph(reply["body"])
                event = replace(read.event, uid=job.uid, recurrence_id=job.rid)
                results[job.index] = WriteResult(
                    write, RemoteEvent(read.remote_id, event, read.etag, job.uid)
                )


def _failed(results: dict[int, WriteResult], job: _Job, writes) -> bool:
    """Whether this job's write has failed already (an EXDATE's master may have succeeded)."""
    result = results.get(job.index)
    return result is not None and result.error is not None and not job.exdate
