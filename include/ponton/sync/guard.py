"""The mass-delete guard: a run that would delete too much of a calendar is refused.

A feed that suddenly comes back empty (an expired share, a broken export) must not wipe the
platform's planning or a team's calendar. The share and the floor come from the binding options;
``allow_mass_delete`` (CLI ``--allow-mass-delete``, DAG param) is the explicit override.
"""

from __future__ import annotations

from ponton.errors import GuardRefused
from ponton.sync.planner import DeletePlatform, DeleteRemote, Plan

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
