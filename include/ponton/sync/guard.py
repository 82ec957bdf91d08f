"""The mass-delete guard: a run that would delete too much of a calendar is refused.

A feed that suddenly comes back empty (an expired share, a broken export) must not wipe the
platform's planning or a team's calendar. The share and the floor come from the binding options;
``allow_mass_delete`` (CLI ``--allow-mass-delete``, DAG param) is the explicit override.
"""

from __future__ import annotations

from collections.abc import Mapping

from ponton.errors import GuardRefused
from ponton.model import Event, split_key
from ponton.sync.planner import DeletePlatform, DeleteRemote, Plan
from ponton.sync.port import ChangeSet, RemoteCalendar

DEFAULT_MAX_DELETE_SHARE = 0.3
DEFAULT_MIN_GUARDED = 5


def deletions(plan: Plan) -> int:
    return len(plan.of(DeleteRemote)) + len(plan.of(DeletePlatform)) + len(plan.foreign_removals)


def check_mass_delete(
    plan: Plan,
    *,
    known: int,
    binding: str,
    max_share: float = DEFAULT_MAX_DELETE_SHARE,
    min_guarded: int = DEFAULT_MIN_GUARDED,
    allow: bool = False,
) -> None:
    """Raise ``GuardRefused`` when the plan deletes more than ``max_share`` of ``known`` events."""
    count = deletions(plan)
    if allow or known < min_guarded or count <= max_share * known:
        return
    raise GuardRefused(
        f"binding {binding}: refusing to delete {count} of {known} events "
        f"(more than {max_share:.0%}); check the source, then rerun with --allow-mass-delete "
        "(DAG param allow_mass_delete=true) if the deletions are intended"
    )


def keep_live_series(
    plan: Plan, platform: Mapping[str, Event], changes: ChangeSet, calendar: RemoteCalendar
) -> None:
    """A series only missing from a full listing is looked up before the platform deletes it.

    Calendar views (Outlook's calendarView) list a series through its live occurrences in the
    window alone: once those are all deleted there, the series is absent from the listing yet
    alive, with occurrences beyond the window. One ``find`` per such series tells them apart;
    a series found is left as it is. Calendars listing whole objects (ICS feeds) are not asked.
    """
    if not changes.full or "incremental" not in calendar.capabilities:
        return
    masters = {
        action.uid
        for action in plan.of(DeletePlatform)
        if not split_key(action.uid)[1]
        and action.uid in platform
        and platform[action.uid].recurrence
    }
    alive = {uid for uid in masters if calendar.find(uid) is not None}
    if alive:
        plan.actions = [
            action
            for action in plan.actions
            if not (isinstance(action, DeletePlatform) and split_key(action.uid)[0] in alive)
        ]
