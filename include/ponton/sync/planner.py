"""The two-way sync planner: a pure function from (platform, remote, state) to actions.

For each platform uid the planner compares three versions: the platform's event, the remote
event written for it, and the hashes both had after the last successful sync (``sync_state``).
A side "changed" when its hash differs from the stored one. Rules, in order:

* nothing changed → nothing to do (no echo: what we wrote is stored with its hash);
* one side changed → copy it to the other side (when the binding's direction allows);
* both changed → the binding's conflict policy decides, or a ``Conflict`` is queued (``manual``);
* edit beats delete: a deletion on one side never wins over an edit on the other;
* deletions propagate, subject to the mass-delete guard (``ponton.sync.guard``).

Remote events not written for a platform uid are *foreign*: they become busy blocks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from ponton.model import Event, event_key, split_key
from ponton.sync.occurrences import DEFAULT_LIMIT, occurrences, series_occurrences
from ponton.sync.port import ChangeSet, RemoteEvent
from ponton.sync.rules import canonical_rules

Direction = Literal["import", "export", "both"]
Policy = Literal["platform-wins", "remote-wins", "newest-wins", "manual"]
DIRECTIONS: tuple[str, ...] = ("import", "export", "both")
POLICIES: tuple[str, ...] = ("platform-wins", "remote-wins", "newest-wins", "manual")


@dataclass(frozen=True, slots=True)
class SyncStateRow:
    """What both sides looked like after the last successful sync of one platform event."""

    platform_uid: str
    remote_id: str
    remote_etag: str | None
    platform_hash: str | None
    remote_hash: str | None
    # ``sync_hash`` of a version ponton was writing there when it last stopped short of
    # recording the result (a crash between the remote write and the state commit).
    written_hash: str | None = None


@dataclass(frozen=True, slots=True)
class CreateRemote:
    uid: str
    event: Event


@dataclass(frozen=True, slots=True)
class UpdateRemote:
    uid: str
    remote_id: str
    etag: str | None
    event: Event


@dataclass(frozen=True, slots=True)
class DeleteRemote:
    uid: str
    remote_id: str
    etag: str | None


@dataclass(frozen=True, slots=True)
class UpdatePlatform:
    """Write the remote version into planning (also restores a platform-deleted event)."""

    uid: str
    remote: RemoteEvent


@dataclass(frozen=True, slots=True)
class DeletePlatform:
    uid: str
    remote_id: str


@dataclass(frozen=True, slots=True)
class LinkState:
    """Both sides already agree: record the pair without writing anything."""

    uid: str
    remote: RemoteEvent
    platform_hash: str


@dataclass(frozen=True, slots=True)
class ForgetState:
    uid: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """Both sides edited; queued for a human (``manual``) — nothing is overwritten."""

    uid: str
    platform: Event
    remote: RemoteEvent


Action = (
    CreateRemote
    | UpdateRemote
    | DeleteRemote
    | UpdatePlatform
    | DeletePlatform
    | LinkState
    | ForgetState
    | Conflict
)


@dataclass(frozen=True, slots=True)
class Decision:
    """How a both-sides edit was settled, journaled with both versions."""

    uid: str
    policy: str
    winner: Literal["platform", "remote", "queued"]
    platform: Event
    remote: RemoteEvent


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    # Foreign events: changed or new ones to (re)write as busy blocks, and remote ids now gone.
    foreign_upserts: list[RemoteEvent] = field(default_factory=list)
    foreign_removals: list[str] = field(default_factory=list)
    # Every foreign event of the listing: a series is expanded with all its listed components.
    foreign_listed: list[RemoteEvent] = field(default_factory=list)
    foreign_unchanged: int = 0
    unchanged: int = 0
    full: bool = True
    cursor: str | None = None

    def of(self, kind: type) -> list:
        return [a for a in self.actions if isinstance(a, kind)]


def comparable(event: Event) -> dict:
    """Content compared across sides: what both sides can hold (no uid, no attendees), rules
    compared by meaning (:mod:`ponton.sync.rules`)."""
    content = event.content()
    for key in ("uid", "recurrence_id", "attendees"):
        content.pop(key)
    content["recurrence"] = canonical_rules(event.recurrence, event.start)
    return content


def sync_hash(event: Event) -> str:
    """Hash of :func:`comparable`: the same on both sides for the same version."""
    payload = json.dumps(comparable(event), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _newest_is_platform(platform: Event, remote: Event) -> bool:
    if remote.last_modified is None:
        return True
    if platform.last_modified is None:
        return False
    return platform.last_modified >= remote.last_modified


def _settle(uid: str, platform: Event, remote: RemoteEvent, policy: str, plan: Plan) -> None:
    if comparable(platform) == comparable(remote.event):
        plan.actions.append(LinkState(uid, remote, platform.content_hash()))
        return
    if policy == "manual":
        plan.actions.append(Conflict(uid, platform, remote))
        plan.decisions.append(Decision(uid, policy, "queued", platform, remote))
        return
    if policy == "platform-wins":
        platform_wins = True
    elif policy == "remote-wins":
        platform_wins = False
    else:
        platform_wins = _newest_is_platform(platform, remote.event)
    if platform_wins:
        plan.actions.append(UpdateRemote(uid, remote.remote_id, remote.etag, platform))
    else:
        plan.actions.append(UpdatePlatform(uid, remote))
    plan.decisions.append(
        Decision(uid, policy, "platform" if platform_wins else "remote", platform, remote)
    )


def plan_sync(
    *,
    platform: Mapping[str, Event],
    changes: ChangeSet,
    state: Mapping[str, SyncStateRow],
    known_foreign: Mapping[str, str],
    direction: str = "both",
    policy: str = "manual",
    left_alone: Iterable[str] = (),
    platform_deleted: Iterable[str] = (),
    unlisted: Iterable[str] = (),
    in_flight: Mapping[str, str] | None = None,
) -> Plan:
    """Plan one sync run.

    ``platform``: live platform events of the binding's scope by key (``Event.key``: the uid of
    a single event or series master, ``uid#recurrence-id`` of an override); ``state``, the sync
    state rows, and every uid below are keyed the same way. ``changes``: what the remote
    listing returned. ``state``: sync_state rows by platform uid. ``known_foreign``: remote id →
    content hash of the foreign events already stored as busy blocks. ``left_alone``: uids not
    to touch this run (a queued conflict, or an event that aged out of the window).
    ``platform_deleted``: uids soft-deleted on the platform (treated as absent; listed so a
    remote copy of them is not taken as foreign).
    ``unlisted``: uids no listing of the window can show (series without an occurrence in it,
    see ``series_in_window``): their absence from a full listing is not a remote deletion.
    ``in_flight``: key → ``sync_hash`` of a version ponton was writing for an event not paired
    yet when a run stopped short of recording it (its own write, not a remote edit).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    if policy not in POLICIES:
        raise ValueError(f"conflict policy {policy!r} is not one of {', '.join(POLICIES)}")
    plan = Plan(full=changes.full, cursor=changes.cursor)
    writing = in_flight or {}
    importing, exporting = direction in ("import", "both"), direction in ("export", "both")
    skip = set(left_alone)
    deleted_on_platform = set(platform_deleted)
    by_remote_id = {row.remote_id: row.platform_uid for row in state.values()}

    # Which remote events belong to which platform uid; the rest is foreign.
    # Keys are planning keys (``Event.key``): a series master and each of its overrides are
    # synced as objects of their own, so a master's change never clobbers an override.
    known_keys = set(platform) | set(state) | deleted_on_platform
    series = {split_key(key)[0] for key in known_keys}
    ours: dict[str, RemoteEvent] = {}
    foreign: dict[str, RemoteEvent] = {}
    for remote in changes.events:
        uid = by_remote_id.get(remote.remote_id)
        if uid is None and remote.platform_uid:
            claimed = event_key(remote.platform_uid, remote.event.recurrence_id)
            if claimed in known_keys or (
                remote.event.recurrence_id is not None and remote.platform_uid in series
            ):
                uid = claimed  # ours, or a new override of one of our series
        if uid is not None:
            ours[uid] = remote
        elif remote.platform_uid is None or remote.platform_uid not in deleted_on_platform:
            foreign[remote.remote_id] = remote
    gone_ids = set(changes.deleted)
    gone_uids = {by_remote_id[r] for r in gone_ids if r in by_remote_id}
    # A series deleted there takes its overrides with it, whether or not they are named.
    gone_series = {uid for uid in gone_uids if not split_key(uid)[1]}
    gone_uids |= {k for k in state if split_key(k)[1] and split_key(k)[0] in gone_series}
    unlistable = set(unlisted)

    def remote_for(uid: str) -> tuple[bool, RemoteEvent | None]:
        """(known, event): known is False when an incremental listing did not mention it."""
        if uid in ours:
            return True, ours[uid]
        if uid in gone_uids or (changes.full and uid not in unlistable):
            return True, None
        return False, None

    for uid in sorted(set(platform) | set(state) | set(ours)):
        if uid in skip:
            continue
        event = platform.get(uid)
        row = state.get(uid)
        known, remote = remote_for(uid)
        if row is None:
            if event is None:
                if remote is not None and importing and split_key(uid)[0] in platform:
                    plan.actions.append(UpdatePlatform(uid, remote))  # an occurrence edited there
                elif remote is not None and exporting and uid in deleted_on_platform:
                    # Written by ponton for an event the platform has deleted since, before the
                    # pair was recorded (an interrupted run): not to be left behind.
                    plan.actions.append(DeleteRemote(uid, remote.remote_id, remote.etag))
                continue  # ours in name only: the platform never had it
            if remote is not None:
                own_write = uid in writing and writing[uid] == sync_hash(remote.event)
                if comparable(event) == comparable(remote.event):
                    plan.actions.append(LinkState(uid, remote, event.content_hash()))
                elif own_write and exporting:  # the platform changed since ponton wrote it
                    plan.actions.append(UpdateRemote(uid, remote.remote_id, remote.etag, event))
                elif importing and exporting:
                    _settle(uid, event, remote, policy, plan)
                elif exporting:
                    plan.actions.append(UpdateRemote(uid, remote.remote_id, remote.etag, event))
                else:
                    plan.actions.append(UpdatePlatform(uid, remote))
            elif exporting:
                plan.actions.append(CreateRemote(uid, event))
            continue

        platform_changed = event is not None and event.content_hash() != row.platform_hash
        remote_changed = known and (
            remote is None or remote.event.content_hash() != row.remote_hash
        )
        if row.written_hash and remote is not None and sync_hash(remote.event) == row.written_hash:
            # The remote holds what ponton wrote last time: its own write, not a remote edit.
            remote_changed = False
            platform_changed = event is not None and sync_hash(event) != row.written_hash
            if event is not None and not platform_changed:
                plan.actions.append(LinkState(uid, remote, event.content_hash()))
                continue
        if event is None and (remote is None and known):
            plan.actions.append(ForgetState(uid))
        elif event is None:
            # Deleted on the platform.
            if remote_changed and importing:
                plan.actions.append(UpdatePlatform(uid, remote))  # edit beats delete
            elif exporting:
                etag = remote.etag if remote else row.remote_etag
                plan.actions.append(DeleteRemote(uid, row.remote_id, etag))
            else:
                plan.actions.append(ForgetState(uid))
        elif known and remote is None:
            # Deleted remotely.
            if platform_changed or not importing:
                if exporting:
                    plan.actions.append(CreateRemote(uid, event))  # edit beats delete
                else:
                    plan.actions.append(ForgetState(uid))
            else:
                plan.actions.append(DeletePlatform(uid, row.remote_id))
        elif platform_changed and remote_changed:
            if importing and exporting:
                _settle(uid, event, remote, policy, plan)
            elif exporting:
                plan.actions.append(UpdateRemote(uid, row.remote_id, remote.etag, event))
            else:
                plan.actions.append(UpdatePlatform(uid, remote))
        elif platform_changed:
            if exporting:
                etag = remote.etag if remote else row.remote_etag
                plan.actions.append(UpdateRemote(uid, row.remote_id, etag, event))
            else:
                plan.unchanged += 1
        elif remote_changed:
            if importing:
                plan.actions.append(UpdatePlatform(uid, remote))
            else:
                plan.unchanged += 1
        elif remote is not None and remote.etag != row.remote_etag:
            # Same content under a new etag (edited and edited back): remember the etag, or a
            # later update or delete would be refused as stale forever.
            plan.actions.append(LinkState(uid, remote, row.platform_hash))
        else:
            plan.unchanged += 1

    plan.foreign_listed = list(foreign.values())
    for remote_id, remote in foreign.items():
        if known_foreign.get(remote_id) == remote.event.content_hash():
            plan.foreign_unchanged += 1
        else:
            plan.foreign_upserts.append(remote)
    if changes.full:
        plan.foreign_removals = sorted(set(known_foreign) - set(foreign))
    else:
        plan.foreign_removals = sorted(gone_ids & set(known_foreign))
        # An incremental listing names only what changed: the rest is unchanged.
        plan.foreign_unchanged += len(set(known_foreign) - set(foreign) - gone_ids)
    return plan


def series_in_window(event: Event, start: datetime, end: datetime) -> bool:
    """Whether a listing of [start, end) can show this event: calendar views (Outlook's
    calendarView) list a series only through its occurrences inside the window."""
    if not event.recurrence:
        return True
    try:
        return bool(occurrences(event, start, end, limit=2))
    except ValueError:  # a rule dateutil cannot expand: assume listable, as before
        return True


def unlisted_keys(platform: Mapping[str, Event], start: datetime, end: datetime) -> list[str]:
    """Keys of the platform events no listing of [start, end) can show: calendar views list a
    series only through its live occurrences inside the window, so a series whose occurrences
    there are all cancelled (EXDATE, cancelled overrides) or moved out is not listed, nor its
    overrides; nor a master without an occurrence there."""
    series: dict[str, dict[str, Event]] = {}
    for key, event in platform.items():
        series.setdefault(split_key(key)[0], {})[key] = event
    unlisted = []
    for uid, components in series.items():
        master = components.get(uid)
        if master is None or not master.recurrence:
            continue
        if not series_in_window(master, start, end):
            unlisted.append(uid)
            continue
        try:
            live = any(
                event.status != "CANCELLED"
                for event, _, _ in series_occurrences(
                    components.values(), start, end, zone=UTC, limit=DEFAULT_LIMIT
                )
            )
        except ValueError:  # a rule dateutil cannot expand: assume listable
            live = True
        if not live:
            unlisted += list(components)
    return unlisted
