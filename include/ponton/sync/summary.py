"""What one sync run reports: the counts of :class:`SyncSummary` and the ``--dry-run`` plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ponton.model import Event
from ponton.privacy import shown
from ponton.sync.planner import (
    Action,
    Conflict,
    CreateRemote,
    DeletePlatform,
    DeleteRemote,
    LinkState,
    Plan,
    UpdatePlatform,
    UpdateRemote,
)


@dataclass
class SyncSummary:
    """Counts of one run. ``created``/``updated``/``deleted`` count the receiving side: the
    platform for an import, the remote calendar for an export, both for a two-way binding."""

    binding: int
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: int = 0
    remote_created: int = 0
    remote_updated: int = 0
    remote_deleted: int = 0
    platform_updated: int = 0
    platform_deleted: int = 0
    foreign_created: int = 0
    foreign_updated: int = 0
    foreign_deleted: int = 0
    busy_blocks: int = 0
    double_bookings: int = 0
    stale: int = 0
    rejected: int = 0  # components the adapter could not read (isolated, journaled)
    refused: int = 0  # events the remote calendar cannot hold (journaled, the rest syncs on)
    replies: int = 0  # METHOD:REPLY answers applied to planning attendees
    notifications: int = 0  # webhook notifications this run has handled
    full_listing: bool = True
    dry_run: bool = False
    plan: list[str] = field(default_factory=list)

    def finish(self, direction: str) -> dict[str, Any]:
        platform = (
            self.foreign_created,
            self.platform_updated + self.foreign_updated,
            self.platform_deleted + self.foreign_deleted,
        )
        remote = (self.remote_created, self.remote_updated, self.remote_deleted)
        sides = {"import": [platform], "export": [remote], "both": [platform, remote]}[direction]
        self.created, self.updated, self.deleted = (
            sum(side[i] for side in sides) for i in range(3)
        )
        data = dict(self.__dict__)
        if not self.dry_run:
            data.pop("plan")
        return data


def describe(action: Action) -> str:
    """One line per planned action, for ``--dry-run``."""
    match action:
        case CreateRemote(event=event) | UpdateRemote(event=event):
            subject: Event | None = event
        case UpdatePlatform(remote=remote) | LinkState(remote=remote) | Conflict(remote=remote):
            subject = remote.event
        case _:
            subject = None
    what = f" {shown(subject).summary!r} {subject.start}" if subject else ""
    return f"{type(action).__name__} {action.uid}{what}"


def changed(result: dict[str, Any]) -> bool:
    return any(result[k] for k in ("created", "updated", "deleted", "conflicts"))


def count_planned(plan: Plan, summary: SyncSummary, known_foreign: dict[str, str]) -> None:
    summary.remote_created = len(plan.of(CreateRemote))
    summary.remote_updated = len(plan.of(UpdateRemote))
    summary.remote_deleted = len(plan.of(DeleteRemote))
    summary.platform_updated = len(plan.of(UpdatePlatform))
    summary.platform_deleted = len(plan.of(DeletePlatform))
    summary.conflicts = len(plan.of(Conflict))
    count_foreign(plan, summary, known_foreign)


def count_foreign(plan: Plan, summary: SyncSummary, known_foreign: dict[str, str]) -> None:
    summary.foreign_updated = sum(1 for r in plan.foreign_upserts if r.remote_id in known_foreign)
    summary.foreign_created = len(plan.foreign_upserts) - summary.foreign_updated
    summary.foreign_deleted = len(plan.foreign_removals)
