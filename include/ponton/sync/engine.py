"""One sync run of one binding: list, plan, guard, apply, detect conflicts, journal.

The ``ponton_calendar_import`` DAG task and ``ponton sync run`` both call :func:`run_sync`.
Crash safety: remote creates are idempotent per platform uid, sync state is committed right after
each batch of remote writes, and the cursor is saved only when the whole run succeeded — a rerun
after a crash re-lists the same changes and finds them already applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ponton.errors import InvalidInputError, PontonError, PreconditionFailed, RetryLater
from ponton.journal import Journal
from ponton.model import Event, split_key
from ponton.platform import PlatformDB
from ponton.platform import planning as planning_rows
from ponton.platform.itip import apply_itip
from ponton.privacy import journal_content
from ponton.sync import busy
from ponton.sync.bindings import Binding, load_binding
from ponton.sync.diagnostics import journal_diagnostics
from ponton.sync.guard import DEFAULT_MAX_DELETE_SHARE, check_mass_delete, keep_live_series
from ponton.sync.lock import binding_lock
from ponton.sync.planner import (
    Conflict,
    CreateRemote,
    DeletePlatform,
    DeleteRemote,
    ForgetState,
    LinkState,
    Plan,
    SyncStateRow,
    UpdatePlatform,
    UpdateRemote,
    plan_sync,
    unlisted_keys,
)
from ponton.sync.port import ItipMessages, RemoteCalendar, RemoteWrite
from ponton.sync.status import SyncStatus
from ponton.sync.summary import SyncSummary, changed, count_foreign, count_planned, describe

INTEGRATION = "calendar"
CalendarOpener = Callable[[Binding], RemoteCalendar]


def run_sync(
    db: PlatformDB, binding_id: int, open_calendar: CalendarOpener, **options: Any
) -> dict[str, Any]:
    """One sync of one binding (options as :func:`_run_sync`); a second run of the same binding
    meanwhile gets ``BindingBusy`` and changes nothing."""
    with binding_lock(db, binding_id):
        return _run_sync(db, binding_id, open_calendar, **options)


def _run_sync(
    db: PlatformDB,
    binding_id: int,
    open_calendar: CalendarOpener,
    *,
    journal: Journal,
    dry_run: bool = False,
    allow_mass_delete: bool = False,
    now: datetime | None = None,
    status: type[SyncStatus] = SyncStatus,
) -> dict[str, Any]:
    """Sync one binding. ``status`` is the class that records the binding's sync state (a test
    passes a subclass to inject a failure at a precise step)."""
    now = now or datetime.now(UTC)
    with db.engine.connect() as conn:
        binding = load_binding(conn, binding_id)
        start, end = binding.window(now)
        platform, deleted = planning_rows.load_scope(
            conn,
            resource_id=binding.resource_id,
            mission_id=binding.mission_id,
            start=start,
            end=end,
        )
        recorded = status(conn, binding.id)
        state = recorded.pairs()
        in_flight = recorded.writes_in_flight()
        known_foreign = busy.known_foreign(conn, binding.id)
        open_conflicts = recorded.open_conflict_keys()
        # Synced events that aged out of the window (or scope) are left alone, not deleted.
        aged_out = planning_rows.live_elsewhere(conn, set(state) - set(platform) - deleted)
        # A version the remote refused is not offered again until its content changes.
        refused = {
            uid
            for uid, refused_hash in recorded.refused_hashes().items()
            if uid in platform and platform[uid].content_hash() == refused_hash
        }
    listed_at = datetime.now(UTC)
    try:
        calendar = open_calendar(binding)
        changes = calendar.list_changes(binding.cursor, start, end)
    except PontonError as exc:
        # A calendar that cannot be read is an action too: the journal says when and why.
        journal.record(
            INTEGRATION,
            "list",
            outcome="error",
            object_type="binding",
            object_id=binding.id,
            details={"error": type(exc).__name__, "message": str(exc)},
        )
        raise
    rejected = journal_diagnostics(calendar, binding.id, journal, INTEGRATION)
    if changes.full and binding.cursor and "incremental" in calendar.capabilities:
        journal.record(
            INTEGRATION,
            "full_resync",
            object_type="binding",
            object_id=binding.id,
            details={"reason": changes.full_reason or "cursor expired or rejected by the provider"},
        )
    unlisted = unlisted_keys(platform, start, end)
    plan = keep_live_series(
        lambda listing: plan_sync(
            platform=platform,
            changes=listing,
            state=state,
            known_foreign=known_foreign,
            direction=binding.direction,
            policy=binding.conflict_policy,
            left_alone=open_conflicts | aged_out | refused,
            platform_deleted=deleted,
            unlisted=unlisted,
            in_flight=in_flight,
        ),
        platform,
        changes,
        calendar,
        (start, end),
    )
    try:
        check_mass_delete(
            plan,
            known=len(state) + len(known_foreign),
            binding=binding.label,
            max_share=float(binding.options.get("max_delete_share", DEFAULT_MAX_DELETE_SHARE)),
            allow=allow_mass_delete,
        )
    except PontonError as exc:
        journal.record(
            INTEGRATION,
            "mass_delete_guard",
            outcome="refused",
            object_type="binding",
            object_id=binding.id,
            details={"message": str(exc)},
        )
        raise
    summary = SyncSummary(
        binding=binding.id, full_listing=changes.full, dry_run=dry_run, rejected=rejected
    )
    summary.unchanged = plan.unchanged + plan.foreign_unchanged + len(plan.of(LinkState))
    if dry_run:
        summary.plan = [describe(a) for a in plan.actions]
        count_planned(plan, summary, known_foreign)
        return summary.finish(binding.direction)
    errors = _apply_remote(db, binding, calendar, plan, state, summary, journal, status)
    message = calendar.itip_message() if isinstance(calendar, ItipMessages) else None
    if message is not None:
        with db.begin() as conn:
            counts = apply_itip(
                conn,
                binding.resource_id,
                method=message.method,
                events=message.events,
                replies=message.replies,
                cancellations=message.cancellations,
            )
        summary.replies = counts.replies
        summary.platform_updated += counts.cancelled + counts.requests
    # Double bookings only matter from now on: past overlaps are history, not conflicts.
    _apply_platform(db, binding, plan, summary, journal, known_foreign, start, end, now, status)
    if errors:
        journal.record(
            INTEGRATION,
            "sync",
            outcome="error",
            object_type="binding",
            object_id=binding.id,
            details={"errors": [str(e) for e in errors[:10]]},
        )
        raise errors[0]
    with db.begin() as conn:
        recorded = status(conn, binding.id)
        recorded.save_cursor(plan.cursor)
        summary.notifications = recorded.mark_notifications_processed(listed_at)
    result = summary.finish(binding.direction)
    journal.record(
        INTEGRATION,
        "sync",
        outcome="changed" if changed(result) else "ok",
        object_type="binding",
        object_id=binding.id,
        details=result,
    )
    return result


def _apply_remote(
    db: PlatformDB,
    binding: Binding,
    calendar: RemoteCalendar,
    plan: Plan,
    state: Mapping[str, SyncStateRow],
    summary: SyncSummary,
    journal: Journal,
    status: type[SyncStatus],
) -> list[Exception]:
    """Write the plan's remote actions; ``state`` is the pairs the plan was made from."""
    writes: list[RemoteWrite] = []
    keys: list[str] = []  # the planning key of each write, in order
    written: dict[str, Event] = {}
    for action in plan.actions:
        uid = split_key(action.uid)[0]
        if isinstance(action, CreateRemote):
            writes.append(RemoteWrite("create", uid, event=action.event))
        elif isinstance(action, UpdateRemote):
            writes.append(RemoteWrite("update", uid, action.event, action.remote_id, action.etag))
        elif isinstance(action, DeleteRemote):
            writes.append(RemoteWrite("delete", uid, remote_id=action.remote_id, etag=action.etag))
        else:
            continue
        keys.append(action.uid)
        if not isinstance(action, DeleteRemote):
            written[action.uid] = action.event
    if not writes:
        return []
    with db.begin() as conn:
        recorded = status(conn, binding.id)
        for index, (key, write) in enumerate(zip(keys, writes, strict=True)):
            rid = split_key(key)[1]
            if rid:  # an override: name the occurrence and its paired series
                master = state.get(write.platform_uid)
                series_id = master.remote_id if master else None
                writes[index] = write = replace(write, recurrence_id=rid, series_id=series_id)
            if write.event is not None:
                written[key] = planning_rows.stamp_published(conn, key, write.event)
                writes[index] = replace(write, event=written[key])
                recorded.note_write(key, written[key])
    results = calendar.apply_writes(writes)
    errors: list[Exception] = []
    with db.begin() as conn:
        recorded = status(conn, binding.id)
        for key, result in zip(keys, results, strict=True):
            write = result.write
            if isinstance(result.error, PreconditionFailed):
                summary.stale += 1  # changed remotely meanwhile: the next run re-reads and re-plans
                outcome, details = "conflict", {"retry": "next run", "reason": str(result.error)}
            elif isinstance(result.error, InvalidInputError):
                # This event alone cannot be written there (e.g. a rule the provider cannot
                # express): refuse it, keep syncing the rest of the calendar.
                summary.refused += 1
                outcome, details = "refused", {"reason": str(result.error)}
                if key in written:
                    recorded.record_refusal(key, written[key], str(result.error))
            elif result.error is not None:
                errors.append(result.error)
                outcome, details = "error", {"reason": str(result.error)}
            else:
                summary.remote_created += write.op == "create"
                summary.remote_updated += write.op == "update"
                summary.remote_deleted += write.op == "delete"
                if write.op == "delete":
                    recorded.forget_pair(key)
                else:
                    recorded.save_pair(key, result.remote, written[key].content_hash())
                    recorded.clear_refusals([key])
                outcome, details = "changed", None
            journal.record(
                INTEGRATION,
                f"remote_{write.op}",
                outcome=outcome,
                object_type="event",
                object_id=key,
                details=details,
                conn=conn,
            )
    return errors


def _apply_platform(
    db: PlatformDB,
    binding: Binding,
    plan: Plan,
    summary: SyncSummary,
    journal: Journal,
    known_foreign: dict[str, str],
    start: datetime,
    end: datetime,
    now: datetime,
    status: type[SyncStatus],
) -> None:
    with db.begin() as conn:
        recorded = status(conn, binding.id)
        for action in plan.actions:
            if isinstance(action, UpdatePlatform):
                platform_hash = planning_rows.update_planning(conn, action.uid, action.remote.event)
                recorded.save_pair(action.uid, action.remote, platform_hash)
                summary.platform_updated += 1
                journal.record(
                    INTEGRATION,
                    "platform_update",
                    outcome="changed",
                    object_type="event",
                    object_id=action.uid,
                    conn=conn,
                    details={
                        "from": binding.label,
                        "content": journal_content(action.remote.event),
                    },
                )
            elif isinstance(action, DeletePlatform):
                planning_rows.soft_delete_planning(conn, action.uid)
                recorded.forget_pair(action.uid)
                summary.platform_deleted += 1
                journal.record(
                    INTEGRATION,
                    "platform_delete",
                    outcome="changed",
                    object_type="event",
                    object_id=action.uid,
                    conn=conn,
                    details={"from": binding.label},
                )
            elif isinstance(action, LinkState):
                recorded.save_pair(action.uid, action.remote, action.platform_hash)
            elif isinstance(action, ForgetState):
                recorded.forget_pair(action.uid)
            elif isinstance(action, Conflict) and recorded.record_edit_conflict(
                action.uid, action.platform, action.remote
            ):
                summary.conflicts += 1
        for decision in plan.decisions:
            journal.record(
                INTEGRATION,
                "conflict_decision",
                outcome="conflict" if decision.winner == "queued" else "changed",
                object_type="event",
                object_id=decision.uid,
                conn=conn,
                details={
                    "policy": decision.policy,
                    "winner": decision.winner,
                    "platform": journal_content(decision.platform),
                    "remote": journal_content(decision.remote.event),
                },
            )
        count_foreign(plan, summary, known_foreign)
        summary.busy_blocks = busy.write_busy_blocks(
            conn,
            binding,
            plan.foreign_upserts,
            plan.foreign_removals,
            start,
            end,
            listed=plan.foreign_listed,
        )
        new = busy.detect_double_bookings(conn, binding, max(start, now), end, journal)
        summary.double_bookings = len(new)
        summary.conflicts += len(new)


def run_sync_or_defer(
    db: PlatformDB, binding_id: int, open_calendar: CalendarOpener, *, journal: Journal, **options
) -> dict[str, Any]:
    """:func:`run_sync`, except that a peer asking to wait longer than the run has left defers the
    binding to its next run (one journal line) instead of failing or retrying sooner. What was
    applied before stays applied; the cursor is not advanced, so the next run re-lists."""
    try:
        return run_sync(db, binding_id, open_calendar, journal=journal, **options)
    except RetryLater as exc:
        journal.record(
            INTEGRATION,
            "sync_deferred",
            outcome="skipped",
            object_type="binding",
            object_id=binding_id,
            details={"reason": str(exc), "retry_after": exc.retry_after},
        )
        return {"binding": binding_id, "deferred": 1, "retry_after": exc.retry_after}
