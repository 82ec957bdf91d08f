"""Settling a queued conflict by hand (``ponton conflicts resolve``).

Nothing is written to either calendar here: resolving rewrites the stored sync state so that the
next run sees only the kept side as changed and copies it over — the same path as any edit. The
binding's cursor is cleared so that run lists in full and sees the remote version again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ponton.errors import InvalidInputError
from ponton.journal import Journal
from ponton.model import split_key
from ponton.platform import PlatformDB
from ponton.platform.planning import row_to_event
from ponton.platform.schema import conflicts, planning_events, utcnow
from ponton.sync.status import SyncStatus

KEEP = ("platform", "remote")
ACTIONS = (*KEEP, "dismiss")


def list_conflicts(db: PlatformDB, *, status: str | None = "open") -> list[dict[str, Any]]:
    query = sa.select(conflicts).order_by(conflicts.c.id)
    if status:
        query = query.where(conflicts.c.status == status)
    with db.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def resolve_conflict(
    db: PlatformDB, conflict_id: int, keep: str, journal: Journal, *, by: str | None = None
) -> str:
    """Mark a conflict resolved keeping one side (or dismissed, for a double booking or a
    refusal); return what happens next, for the operator. ``by`` names who decided, for the
    journal (the CLI's user, the Airflow user of the review page)."""
    if keep not in ACTIONS:
        raise InvalidInputError(f"--keep {keep!r} must be platform, remote or dismiss")
    with db.begin() as conn:
        row = (
            conn.execute(sa.select(conflicts).where(conflicts.c.id == conflict_id))
            .mappings()
            .first()
        )
        if row is None:
            raise InvalidInputError(
                f"conflict {conflict_id} does not exist (see `ponton conflicts list`)"
            )
        if row["status"] != "open":
            raise InvalidInputError(f"conflict {conflict_id} is already {row['status']}")
        if row["kind"] == "edit_edit" and keep == "dismiss":
            raise InvalidInputError(
                f"conflict {conflict_id} is an edit conflict: keep platform or keep remote, "
                "dismissing would leave the two versions apart"
            )
        if row["kind"] == "edit_edit":
            _rewrite_state(conn, row, keep)
            outcome = f"the {keep} version will be copied to the other side on the next sync run"
        else:
            outcome = "acknowledged; planning and availability are left as they are"
        conn.execute(
            conflicts.update()
            .where(conflicts.c.id == conflict_id)
            .values(
                status="resolved",
                resolution="dismissed" if keep == "dismiss" else f"keep {keep}",
                resolved_at=utcnow(),
            )
        )
        journal.record(
            "calendar",
            "conflict_resolved",
            outcome="changed",
            object_type="conflict",
            object_id=conflict_id,
            details={"kind": row["kind"], "keep": keep} | ({"by": by} if by else {}),
            conn=conn,
        )
    return outcome


def _rewrite_state(conn: sa.Connection, conflict: dict[str, Any], keep: str) -> None:
    uid, binding_id = conflict["platform_uid"], conflict["binding_id"]
    remote = conflict["remote_version"]
    if keep == "platform":
        # The remote version becomes "already seen": only the platform side looks changed.
        values = {
            "remote_hash": remote["hash"],
            "remote_etag": remote.get("etag"),
            "platform_hash": None,
        }
    else:
        series_uid, rid = split_key(uid)
        row = (
            conn.execute(
                sa.select(planning_events).where(
                    planning_events.c.uid == series_uid, planning_events.c.recurrence_id == rid
                )
            )
            .mappings()
            .one()
        )
        values = {"platform_hash": row_to_event(row).content_hash(), "remote_hash": None}
    recorded = SyncStatus(conn, binding_id)
    recorded.reset_cursor()
    recorded.keep_side(uid, remote_id=conflict["remote_id"], values=values)
