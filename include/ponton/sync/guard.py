"""The mass-delete guard: a run that would delete too much of a calendar is refused.

A feed that suddenly comes back empty (an expired share, a broken export) must not wipe the
platform's planning or a team's calendar. The share and the floor come from the binding options;
``allow_mass_delete`` (CLI ``--allow-mass-delete``, DAG param) is the explicit override.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from ponton.errors import GuardRefused
from ponton.model import Event, split_key
from ponton.sync.planner import DeletePlatform, DeleteRemote, Plan
from ponton.sync.port import ChangeSet, RemoteCalendar, SeriesReader

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
    plan_for: Callable[[ChangeSet], Plan],
    platform: Mapping[str, Event],
    changes: ChangeSet,
    calendar: RemoteCalendar,
    window: tuple[datetime, datetime],
) -> Plan:
    """The plan for ``changes``, where a series only missing from a full listing is looked up
    before the platform deletes it.

    Calendar views (Outlook's calendarView) list a series through its live occurrences in the
    window alone: once those are all deleted there, the series is absent from the listing yet
    alive, with occurrences beyond the window. A :class:`SeriesReader` reads such series (one
    request for all of them) and the plan is made again with them, so their cancelled
    occurrences reach the platform; another calendar is asked with one ``find`` per series, and
    a series found is left as it is. Calendars listing whole objects (ICS feeds) are not asked.
    """
    plan = plan_for(changes)
    if not changes.full or "incremental" not in calendar.capabilities:
        return plan
    masters = {
        action.uid: action.remote_id
        for action in plan.of(DeletePlatform)
        if not split_key(action.uid)[1]
        and action.uid in platform
        and platform[action.uid].recurrence
    }
    if not masters:
        return plan
    if isinstance(calendar, SeriesReader):
        found = calendar.read_series(list(masters.values()), *window)
        return plan_for(replace(changes, events=[*changes.events, *found])) if found else plan
    alive = {uid for uid in masters if calendar.find(uid) is not None}
    plan.actions = [
        action
        for action in plan.actions
        if not (isinstance(action, DeletePlatform) and split_key(action.uid)[0] in alive)
    ]
    return plan
