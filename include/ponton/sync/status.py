"""The sync status of one binding: everything ponton remembers between two runs, in one owner.

As vdirsyncer's status store, :class:`SyncStatus` is the only code that reads or writes the
binding's ``sync_state`` pairs, its cursor and push-channel columns in ``calendar_bindings``, its
edit conflicts and refusals, and the webhook notifications it has handled. It works on the
connection of the caller's transaction, so what one step of a run records commits or rolls back
as one. The engine takes the class as a parameter: a test injects a failure by subclassing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ponton.model import Event
from ponton.platform.schema import (
    calendar_bindings,
    conflicts,
    sync_state,
    sync_writes_in_flight,
    utcnow,
    webhook_inbox,
)
from ponton.sync.planner import SyncStateRow, sync_hash
from ponton.sync.port import RemoteEvent


def version(event: Event, **extra: Any) -> dict[str, Any]:
    """An event's content as a conflict row keeps it (with its hash and any extra fields)."""
    return event.content() | {"hash": event.content_hash()} | extra


def queue_once(conn: sa.Connection, identity: tuple, **values: Any) -> bool:
    """Insert a conflict row unless one with the same identity exists; True when inserted."""
    fingerprint = hashlib.sha256("|".join(map(str, identity)).encode()).hexdigest()
    if conn.execute(
        sa.select(conflicts.c.id).where(conflicts.c.fingerprint == fingerprint)
    ).first():
        return False
    conn.execute(conflicts.insert().values(fingerprint=fingerprint, **values))
    return True


class SyncStatus:
    """What one binding remembers, read and written on ``conn`` (the caller's transaction).

    Keys are planning keys (:attr:`ponton.model.Event.key`): the UID for a single event or a
    series master, ``uid#recurrence-id`` for one occurrence's override.
    """

    def __init__(self, conn: sa.Connection, binding_id: int) -> None:
        self.conn = conn
        self.binding_id = binding_id

    # -- sync_state pairs ------------------------------------------------------------------
    def _pair(self, key: str):
        return (sync_state.c.binding_id == self.binding_id) & (sync_state.c.platform_uid == key)

    def pairs(self) -> dict[str, SyncStateRow]:
        rows = self.conn.execute(
            sa.select(sync_state).where(sync_state.c.binding_id == self.binding_id)
        )
        return {
            r.platform_uid: SyncStateRow(
                r.platform_uid,
                r.remote_id,
                r.remote_etag,
                r.platform_hash,
                r.remote_hash,
                r.written_hash,
            )
            for r in rows
        }

    def save_pair(self, key: str, remote: RemoteEvent, platform_hash: str) -> None:
        """Both sides agree on this version: remember it (no echo on the next run)."""
        values = {
            "remote_id": remote.remote_id,
            "remote_etag": remote.etag,
            "platform_hash": platform_hash,
            "remote_hash": remote.event.content_hash(),
            "written_hash": None,
            "synced_at": utcnow(),
        }
        self._land(key)
        if self.conn.execute(sync_state.update().where(self._pair(key)).values(**values)).rowcount:
            return
        self.conn.execute(
            sync_state.insert().values(binding_id=self.binding_id, platform_uid=key, **values)
        )

    def note_write(self, key: str, event: Event) -> None:
        """Before writing ``event`` there: if the run stops before :meth:`save_pair`, the next
        run recognises the remote's new content as ponton's own write, not a remote edit. An
        event not paired yet is noted among the writes in flight."""
        written = sync_hash(event)
        if self.conn.execute(
            sync_state.update().where(self._pair(key)).values(written_hash=written)
        ).rowcount:
            return
        self._land(key)
        self.conn.execute(
            sync_writes_in_flight.insert().values(
                binding_id=self.binding_id, platform_uid=key, written_hash=written
            )
        )

    def writes_in_flight(self) -> dict[str, str]:
        """Planning key → ``sync_hash`` of what ponton was writing for an event not paired yet
        when a run stopped short of recording it."""
        rows = self.conn.execute(
            sa.select(sync_writes_in_flight).where(
                sync_writes_in_flight.c.binding_id == self.binding_id
            )
        )
        return {r.platform_uid: r.written_hash for r in rows}

    def _land(self, key: str) -> None:
        self.conn.execute(
            sync_writes_in_flight.delete().where(
                sync_writes_in_flight.c.binding_id == self.binding_id,
                sync_writes_in_flight.c.platform_uid == key,
            )
        )

    def forget_pair(self, key: str) -> None:
        self._land(key)
        self.conn.execute(sync_state.delete().where(self._pair(key)))

    def keep_side(self, key: str, *, remote_id: str, values: dict[str, Any]) -> None:
        """Rewrite a pair's hashes so the next run copies the kept side (manual resolution)."""
        if self.conn.execute(sync_state.update().where(self._pair(key)).values(**values)).rowcount:
            return
        self.conn.execute(
            sync_state.insert().values(
                binding_id=self.binding_id,
                platform_uid=key,
                remote_id=remote_id,
                synced_at=utcnow(),
                **values,
            )
        )

    # -- conflicts and refusals ------------------------------------------------------------
    def open_conflict_keys(self) -> set[str]:
        rows = self.conn.execute(
            sa.select(conflicts.c.platform_uid).where(
                conflicts.c.binding_id == self.binding_id,
                conflicts.c.kind == "edit_edit",
                conflicts.c.status == "open",
            )
        )
        return {r.platform_uid for r in rows}

    def refused_hashes(self) -> dict[str, str]:
        """Planning key → content hash of the version the remote calendar refused (open ones)."""
        rows = self.conn.execute(
            sa.select(conflicts.c.platform_uid, conflicts.c.platform_version).where(
                conflicts.c.binding_id == self.binding_id,
                conflicts.c.kind == "refused",
                conflicts.c.status == "open",
            )
        )
        return {r.platform_uid: (r.platform_version or {}).get("hash") for r in rows}

    def record_refusal(self, key: str, event: Event, reason: str) -> None:
        """Remember that the remote refused this version of the event (listed by `ponton
        conflicts list`); the next runs leave it alone until its content changes."""
        queue_once(
            self.conn,
            ("refused", self.binding_id, key, event.content_hash()),
            kind="refused",
            binding_id=self.binding_id,
            platform_uid=key,
            platform_version=version(event, reason=reason),
        )

    def clear_refusals(self, keys: Iterable[str]) -> None:
        """The remote took a later version of these events: their old refusals no longer hold."""
        keys = list(keys)
        if keys:
            self.conn.execute(
                conflicts.update()
                .where(
                    conflicts.c.binding_id == self.binding_id,
                    conflicts.c.kind == "refused",
                    conflicts.c.status == "open",
                    conflicts.c.platform_uid.in_(keys),
                )
                .values(status="cleared", resolved_at=utcnow(), resolution="written after a change")
            )

    def record_edit_conflict(self, key: str, platform: Event, remote: RemoteEvent) -> bool:
        """Queue a both-sides edit; False when the same pair of versions is already queued."""
        return queue_once(
            self.conn,
            (
                "edit_edit",
                self.binding_id,
                key,
                platform.content_hash(),
                remote.event.content_hash(),
            ),
            kind="edit_edit",
            binding_id=self.binding_id,
            platform_uid=key,
            remote_id=remote.remote_id,
            platform_version=version(platform),
            remote_version=version(remote.event, etag=remote.etag),
        )

    # -- the binding's row: cursor and push channel ----------------------------------------
    def _update_binding(self, **values: Any) -> None:
        self.conn.execute(
            calendar_bindings.update()
            .where(calendar_bindings.c.id == self.binding_id)
            .values(**values)
        )

    def save_cursor(self, cursor: str | None) -> None:
        """The run succeeded: the next one lists from ``cursor``."""
        self._update_binding(sync_token=cursor, last_synced_at=utcnow())

    def reset_cursor(self) -> None:
        """Without a cursor the next run lists the whole window."""
        self._update_binding(sync_token=None)

    def save_channel(
        self,
        *,
        channel_id: str | None,
        resource_id: str | None = None,
        token_digest: str | None = None,
        expires_at: datetime | None = None,
    ) -> None:
        self._update_binding(
            channel_id=channel_id,
            channel_resource_id=resource_id,
            channel_token_hash=token_digest,
            channel_expires_at=expires_at,
        )

    def mark_channel_for_renewal(self) -> None:
        """The channel DAG renews a channel whose expiry has passed, on its next run."""
        self._update_binding(channel_expires_at=utcnow())

    # -- webhook notifications -------------------------------------------------------------
    def mark_notifications_processed(self, before: datetime) -> int:
        """Notifications for this binding received before the listing are now handled."""
        return self.conn.execute(
            webhook_inbox.update()
            .where(
                webhook_inbox.c.binding_id == self.binding_id,
                webhook_inbox.c.processed_at.is_(None),
                webhook_inbox.c.received_at <= before,
            )
            .values(processed_at=utcnow())
        ).rowcount
