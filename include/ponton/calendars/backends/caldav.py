"""``CalDavCalendar``: a two-way :class:`~ponton.sync.port.RemoteCalendar` over CalDAV.

Covers Nextcloud, iCloud, Fastmail, Radicale and any RFC 4791 server through the ``caldav``
library. Choices that make the sync engine safe:

* Idempotent create: the iCalendar UID is the platform uid and the object's href is derived from
  it (:func:`href_for`), written with ``If-None-Match: *``. A create replayed after a crash finds
  the existing object (412) and returns it instead of duplicating it.
* Guarded writes: updates and deletes send ``If-Match`` with the etag the planner read; a 412
  becomes :class:`~ponton.errors.PreconditionFailed` for that write alone.
* Incremental listing with RFC 6578 sync tokens when the server has them. The cursor is
  ``caldav1:`` + the server's sync token; an expired or foreign cursor gives a full listing.

``remote_id`` is the object's href path; an override inside a recurring object is listed as
``<href>#<uid>#<recurrence-id>``. A series is one object: writing its master or one override
rewrites that object with the other components kept (``ponton.ics.objects``), If-Match guarded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote, urlsplit

import caldav
import requests
from caldav.lib import error as dav_error

from ponton.errors import (
    ConfigError,
    PermanentError,
    PreconditionFailed,
    ReauthorizationRequired,
    TransientError,
)
from ponton.ics.expand import events_in_window
from ponton.ics.export import export_calendar
from ponton.ics.limits import Limits
from ponton.ics.objects import with_component, without_component
from ponton.ics.parse import parse_calendar
from ponton.model import Event, split_key
from ponton.net.egress import EgressPolicy
from ponton.sync.port import ChangeSet, RemoteEvent, RemoteWrite, WriteResult

_PREFIX = "caldav1:"
_SAFE_UID = re.compile(r"^[A-Za-z0-9@._-]{1,120}$")
_ICS = {"Content-Type": "text/calendar; charset=utf-8"}


def href_for(platform_uid: str) -> str:
    """The object name an event written for ``platform_uid`` gets: readable when the uid is
    URL-safe, else a hash (some servers mishandle encoded slashes)."""
    if _SAFE_UID.match(platform_uid):
        return quote(platform_uid, safe="") + ".ics"
    return hashlib.sha256(platform_uid.encode()).hexdigest()[:40] + ".ics"


class CalDavCalendar:
    capabilities = frozenset({"read", "write", "incremental"})

    def __init__(
        self,
        calendar: caldav.Calendar,
        *,
        limits: Limits = Limits(),  # noqa: B008 - immutable
        default_timezone: str = "UTC",
    ) -> None:
        self.calendar = calendar
        self.client = calendar.client
        self.limits = limits
        self.default_timezone = default_timezone
        #: Isolated components and repairs seen by the last listing, to journal.
        self.last_errors: list[str] = []

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        calendar_url: str | None = None,
        timeout: int = 30,
        egress: EgressPolicy = EgressPolicy(),  # noqa: B008 - immutable
        **kwargs,
    ) -> CalDavCalendar:
        """Open the calendar at ``calendar_url`` (default: the principal's first calendar). Every
        address, redirects included, goes through the egress guard (``egress`` allow-lists)."""
        for target in {url, calendar_url or url}:
            egress.check_url(target, what="CalDAV server")
        client = caldav.DAVClient(
            url=url,
            username=username,
            password=password,
            timeout=timeout,
            require_tls=urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"),
        )
        egress.guard_session(client.session, what="CalDAV server")
        with _translated(url):
            if calendar_url:
                calendar = client.calendar(url=calendar_url)
            else:
                calendars = client.principal().calendars()
                if not calendars:
                    raise ConfigError(f"CalDAV account at {_host(url)} has no calendar")
                calendar = calendars[0]
        return cls(calendar, **kwargs)

    def rejected_components(self) -> list[str]:
        """Isolated components and repairs of the last listing (ParseDiagnostics)."""
        return list(self.last_errors)

    def derived_uids(self) -> list[str]:
        """None: a CalDAV object resource always carries its UID (RFC 4791 §4.1)."""
        return []

    def __repr__(self) -> str:
        return f"CalDavCalendar({_host(str(self.calendar.url))!r})"

    # -- reading ---------------------------------------------------------------------------
    def list_changes(self, cursor: str | None, start: datetime, end: datetime) -> ChangeSet:
        token = cursor[len(_PREFIX) :] if cursor and cursor.startswith(_PREFIX) else None
        self.last_errors = []
        with _translated(str(self.calendar.url)):
            result = None
            if token:
                try:
                    result = self.calendar.objects_by_sync_token(
                        sync_token=token, load_objects=True, disable_fallback=True
                    )
                except (dav_error.DAVError, ValueError):
                    result = None  # expired or unknown token: list in full
            full = result is None
            if full:
                result = self.calendar.objects_by_sync_token(load_objects=True)
            events: list[RemoteEvent] = []
            deleted: list[str] = []
            for obj in result:
                href = urlsplit(str(obj.url)).path
                if not obj.data:
                    deleted.append(href)
                    continue
                events.extend(self._remote_events(href, obj.data, _etag(obj), start, end))
        deleted.extend(urlsplit(str(url)).path for url in result.deleted_urls)
        new_cursor = _PREFIX + str(result.sync_token) if result.sync_token else None
        return ChangeSet(
            events, full=full, cursor=new_cursor, deleted=() if full else sorted(set(deleted))
        )

    def _remote_events(
        self,
        href: str,
        data: str | bytes,
        etag: str | None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[RemoteEvent]:
        raw = data.encode() if isinstance(data, str) else data
        parsed = parse_calendar(raw, self.limits, default_timezone=self.default_timezone)
        events = parsed.events
        self.last_errors.extend(f"{href}: {error}" for error in parsed.errors)
        if start is not None and end is not None:
            events, errors = events_in_window(parsed, start, end, self.limits)
            self.last_errors.extend(f"{href}: {error}" for error in errors)
        return [
            RemoteEvent(
                remote_id=href if event.recurrence_id is None else f"{href}#{event.key}",
                event=event,
                etag=etag,
                platform_uid=event.uid,
            )
            for event in events
        ]

    def find(self, platform_uid: str) -> RemoteEvent | None:
        with _translated(str(self.calendar.url)):
            found = self._get(self._url(href_for(platform_uid)))
            if found is None:
                try:
                    obj = self.calendar.object_by_uid(platform_uid)
                except dav_error.NotFoundError:
                    return None
                found = (urlsplit(str(obj.url)).path, obj.data, _etag(obj))
        href, data, etag = found
        masters = [
            r
            for r in self._remote_events(href, data, etag)
            if r.event.recurrence_id is None and r.platform_uid == platform_uid
        ]
        return masters[0] if masters else None

    def _get(self, url: str) -> tuple[str, str, str | None] | None:
        response = self.client.request(url)
        if response.status == 404:
            return None
        _raise_for_status(response.status, url)
        return urlsplit(url).path, _text(response), response.headers.get("ETag")

    # -- writing ---------------------------------------------------------------------------
    def apply_writes(self, writes: Sequence[RemoteWrite]) -> list[WriteResult]:
        # Etags this batch gave each object: a later write to the same series is not stale.
        self._batch_etags: dict[str, set[str | None]] = {}
        results = []
        with _translated(str(self.calendar.url)):
            for write in writes:
                try:
                    results.append(WriteResult(write, self._apply(write)))
                except (PreconditionFailed, PermanentError) as exc:
                    results.append(WriteResult(write, error=exc))
        return results

    def _apply(self, write: RemoteWrite) -> RemoteEvent | None:
        if write.op != "delete" and write.event is None:
            raise PermanentError(f"CalDAV {write.op} of {write.platform_uid!r} carries no event")
        override = "#" in (write.remote_id or "") or (
            write.event is not None and write.event.recurrence_id is not None
        )
        if write.op == "create" and not override:
            return self._create(write)
        if write.op == "delete" and not override:
            return self._delete(write)
        if not write.remote_id and write.op != "create":
            raise PermanentError(f"CalDAV {write.op} of {write.platform_uid!r} needs its href")
        return self._write_component(write)

    def _delete(self, write: RemoteWrite) -> None:
        url = self._url(write.remote_id)
        response = self.client.delete(url, {"If-Match": write.etag} if write.etag else {})
        if response.status == 412:
            raise PreconditionFailed(f"CalDAV object {write.remote_id} changed since read")
        if response.status != 404:
            _raise_for_status(response.status, url)

    def _write_component(self, write: RemoteWrite) -> RemoteEvent | None:
        """Rewrite one component (a master or one override) of the series' object, keeping the
        others: read the object, check the etag the planner read, put it back with If-Match."""
        if write.remote_id:
            href, _, component = write.remote_id.partition("#")
        else:
            href, component = self._href_of(write.platform_uid), ""
        url = self._url(href)
        fetched = self._get(url)
        if fetched is None:
            if write.op == "delete":
                return None
            raise PreconditionFailed(
                f"CalDAV object {href} of series {write.platform_uid!r} is gone"
            )
        _, data, etag = fetched
        seen = self._batch_etags.setdefault(href, {etag})
        if etag not in seen or (write.etag and write.op != "create" and write.etag not in seen):
            raise PreconditionFailed(f"CalDAV object {href} changed since read")
        if write.op == "delete":
            body = without_component(data, split_key(component)[1])
        else:
            body = with_component(data, replace(write.event, uid=write.platform_uid))
        response = self.client.put(url, body, {**_ICS, "If-Match": etag} if etag else _ICS)
        if response.status in (404, 412):
            raise PreconditionFailed(f"CalDAV object {href} changed or was removed since read")
        _raise_for_status(response.status, url)
        if write.op == "delete":
            fetched = None if response.headers.get("ETag") else self._get(url)
            seen.add(response.headers.get("ETag") or (fetched[2] if fetched else None))
            return None
        stored = self._stored(url, body, response, written=write.event)
        seen.add(stored.etag)
        return stored

    def _href_of(self, platform_uid: str) -> str:
        """The href of the object holding ``platform_uid``'s series (written by ponton or not)."""
        if self._get(self._url(href_for(platform_uid))) is not None:
            return urlsplit(self._url(href_for(platform_uid))).path
        try:
            return urlsplit(str(self.calendar.object_by_uid(platform_uid).url)).path
        except dav_error.NotFoundError:
            raise PreconditionFailed(
                f"CalDAV series {platform_uid!r} is not on the server; its override waits for it"
            ) from None

    def _create(self, write: RemoteWrite) -> RemoteEvent:
        if write.event is None:
            raise PermanentError(f"CalDAV create of {write.platform_uid!r} carries no event")
        url = self._url(href_for(write.platform_uid))
        body = _body(write)
        response = self.client.put(url, body, {**_ICS, "If-None-Match": "*"})
        if response.status == 412 or _uid_conflict(response):  # already there: keep it
            existing = self.find(write.platform_uid)
            if existing is None:
                raise PreconditionFailed(f"CalDAV object for {write.platform_uid!r} is in flux")
            return existing
        _raise_for_status(response.status, url)
        return self._stored(url, body, response)

    def _stored(self, url: str, body: str, response, written: Event | None = None) -> RemoteEvent:
        """What the server now holds for the ``written`` component (default: the master)."""
        etag = response.headers.get("ETag")
        if not etag:  # the server may transform the object: read back what it holds
            fetched = self._get(url)
            if fetched is None:
                raise PreconditionFailed(f"CalDAV object {urlsplit(url).path} vanished")
            _, body, etag = fetched
        wanted = written.recurrence_id if written is not None else None
        for remote in self._remote_events(urlsplit(url).path, body, etag):
            if remote.event.recurrence_id == wanted:
                return remote
        raise PreconditionFailed(f"CalDAV object {urlsplit(url).path} lost the written event")

    def _url(self, href: str) -> str:
        return str(self.calendar.url.join(href))


def _body(write: RemoteWrite) -> str:
    event = replace(write.event, uid=write.platform_uid)
    return export_calendar([event], "", method=None).decode()


def _etag(obj) -> str | None:
    return (obj.props or {}).get("{DAV:}getetag")


def _text(response) -> str:
    raw = response.raw
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}"


def _uid_conflict(response) -> bool:
    """RFC 4791 CALDAV:no-uid-conflict: the UID is already stored under another name (Radicale
    answers 409; Xandikos 412, which the caller reads the same way)."""
    return response.status == 409 and "no-uid-conflict" in str(response.raw)


def _raise_for_status(status: int, url: str) -> None:
    if status < 400:
        return
    if status in (401, 403):
        raise ConfigError(
            f"CalDAV server {_host(url)} refused access (HTTP {status}); check the connection's "
            "login and app password"
        )
    if status == 429 or status >= 500:
        raise TransientError(f"CalDAV server {_host(url)} answered HTTP {status}; will retry")
    raise PermanentError(
        f"CalDAV server {_host(url)} answered HTTP {status} for {urlsplit(url).path}"
    )


class _translated:
    """Turn caldav/requests exceptions into ponton errors (in one place), without the URL path."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, (PermanentError, TransientError)):
            return False
        host = _host(self.url)
        if isinstance(exc, dav_error.AuthorizationError):
            raise ReauthorizationRequired(
                f"caldav {host}", "the server refused the credentials"
            ) from None
        if isinstance(exc, dav_error.NotFoundError):
            raise ConfigError(
                f"CalDAV calendar at {host} not found; check the calendar URL"
            ) from None
        if isinstance(exc, (dav_error.DAVError, requests.RequestException, OSError)):
            raise TransientError(
                f"CalDAV server {host} failed ({exc.__class__.__name__}); will retry"
            ) from None
        return False
