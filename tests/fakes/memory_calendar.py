"""An in-memory RemoteCalendar: the reference adapter the contract suite is checked against, and a
scriptable peer for planner and applier tests (out-of-band edits, crashes, failures)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ponton.errors import InvalidInputError, PreconditionFailed
from ponton.model import Event
from ponton.sync.port import ChangeSet, RemoteEvent, RemoteWrite, WriteResult


@dataclass
class _Stored:
    remote: RemoteEvent
    version: int
    deleted: bool = False


class MemoryCalendar:
    capabilities = frozenset({"read", "write", "incremental"})

    def __init__(self) -> None:
        self._events: dict[str, _Stored] = {}
        self._clock = itertools.count(1)
        self._ids = itertools.count(1)
        self.calls: list[str] = []
        self.unwritable: str | None = (
            None  # a summary this calendar refuses, like a rule Graph lacks
        )

    # -- what a person does in the provider's UI -------------------------------------------
    def edit(self, remote_id: str, **changes) -> None:
        stored = self._events[remote_id]
        event = replace(stored.remote.event, **changes)
        self._put(remote_id, event, stored.remote.platform_uid)

    def add_foreign(self, event: Event) -> str:
        remote_id = f"m{next(self._ids)}"
        self._put(remote_id, event, None)
        return remote_id

    def remove(self, remote_id: str) -> None:
        self._events[remote_id].deleted = True
        self._events[remote_id].version = next(self._clock)

    # -- RemoteCalendar ----------------------------------------------------------------------
    def _put(self, remote_id: str, event: Event, platform_uid: str | None) -> RemoteEvent:
        version = next(self._clock)
        remote = RemoteEvent(remote_id, event, etag=f'"{version}"', platform_uid=platform_uid)
        self._events[remote_id] = _Stored(remote, version)
        return remote

    def list_changes(self, cursor: str | None, start: datetime, end: datetime) -> ChangeSet:
        self.calls.append("list")
        now = next(self._clock)

        def in_window(event: Event) -> bool:
            if event.all_day:
                return event.start < end.date() and event.end > start.date()
            return event.start < end and event.end > start

        since = int(cursor) if cursor and cursor.isdigit() and int(cursor) < now else None
        live = [s for s in self._events.values() if in_window(s.remote.event)]
        if since is None:
            return ChangeSet([s.remote for s in live if not s.deleted], full=True, cursor=str(now))
        changed = [s for s in live if s.version > since]
        return ChangeSet(
            [s.remote for s in changed if not s.deleted],
            full=False,
            cursor=str(now),
            deleted=[s.remote.remote_id for s in changed if s.deleted],
        )

    def find(self, platform_uid: str, recurrence_id=None) -> RemoteEvent | None:
        """The live event written for ``platform_uid`` (its master, or the override of the
        occurrence ``recurrence_id``: like Google's exception instances, an override is an event
        of its own carrying the series' identity and its original start)."""
        for stored in self._events.values():
            remote = stored.remote
            if (
                remote.platform_uid == platform_uid
                and remote.event.recurrence_id == recurrence_id
                and not stored.deleted
            ):
                return remote
        return None

    def series(self, platform_uid: str) -> list[RemoteEvent]:
        """The live master and overrides written for ``platform_uid``."""
        return [
            s.remote
            for s in self._events.values()
            if s.remote.platform_uid == platform_uid and not s.deleted
        ]

    def add_override(self, platform_uid: str, event: Event) -> str:
        """A person edits or cancels one occurrence in the provider's UI."""
        remote_id = f"m{next(self._ids)}"
        self._put(remote_id, event, platform_uid)
        return remote_id

    def apply_writes(self, writes: Sequence[RemoteWrite]) -> list[WriteResult]:
        self.calls.append(f"batch:{len(writes)}")
        return [self._apply(w) for w in writes]

    def _apply(self, write: RemoteWrite) -> WriteResult:
        if write.event is not None and write.event.summary == self.unwritable:
            return WriteResult(write, error=InvalidInputError(f"{write.platform_uid}: unwritable"))
        if write.op == "create":
            existing = self.find(write.platform_uid, write.event.recurrence_id)
            if existing:
                return WriteResult(write, existing)
            remote_id = f"m{next(self._ids)}"
            return WriteResult(write, self._put(remote_id, write.event, write.platform_uid))
        stored = self._events.get(write.remote_id)
        if write.op == "delete":
            if stored and not stored.deleted:
                if write.etag and write.etag != stored.remote.etag:
                    return WriteResult(
                        write, error=PreconditionFailed(f"{write.remote_id} changed")
                    )
                self.remove(write.remote_id)
            return WriteResult(write)
        if stored is None or stored.deleted:
            return WriteResult(write, error=PreconditionFailed(f"{write.remote_id} is gone"))
        if write.etag and write.etag != stored.remote.etag:
            return WriteResult(write, error=PreconditionFailed(f"{write.remote_id} changed"))
        return WriteResult(write, self._put(write.remote_id, write.event, write.platform_uid))
