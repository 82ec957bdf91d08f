"""Planning rows of a series: a master plus overrides keyed by (uid, recurrence-id)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.model import Event
from ponton.platform import PlatformDB
from ponton.platform.planning import load_scope, soft_delete_planning, update_planning
from ponton.platform.schema import planning_events, resources

MONDAY = datetime(2026, 3, 30, 9, tzinfo=UTC)
WINDOW = {"start": MONDAY - timedelta(days=7), "end": MONDAY + timedelta(days=90)}
MASTER = Event(
    uid="weekly",
    start=MONDAY,
    end=MONDAY + timedelta(hours=1),
    summary="Weekly",
    timezone="UTC",
    recurrence=("RRULE:FREQ=WEEKLY;COUNT=10",),
)
SECOND = MONDAY + timedelta(weeks=1)
MOVED = replace(
    MASTER,
    recurrence=(),
    recurrence_id=SECOND,
    start=SECOND + timedelta(hours=3),
    end=SECOND + timedelta(hours=4),
    summary="Weekly (moved)",
)


def add_series(db: PlatformDB) -> int:
    with db.begin() as conn:
        rid = conn.execute(
            resources.insert().values(key="ana", name="Ana").returning(resources.c.id)
        ).scalar_one()
        conn.execute(
            planning_events.insert().values(
                uid="weekly",
                resource_id=rid,
                summary="Weekly",
                start_at=MONDAY,
                end_at=MONDAY + timedelta(hours=1),
                recurrence="RRULE:FREQ=WEEKLY;COUNT=10",
            )
        )
    return rid


def scope(db, rid):
    with db.engine.connect() as conn:
        return load_scope(conn, resource_id=rid, mission_id=None, **WINDOW)


def test_override_is_added_to_its_series_and_read_back_under_its_own_key(platform_db):
    rid = add_series(platform_db)
    with platform_db.begin() as conn:
        stored_hash = update_planning(conn, MOVED.key, MOVED)
    live, deleted = scope(platform_db, rid)
    assert sorted(live) == ["weekly", "weekly#20260406T090000Z"] and deleted == set()
    override = live[MOVED.key]
    assert override.recurrence_id == SECOND and override.start == SECOND + timedelta(hours=3)
    assert override.content_hash() == stored_hash == MOVED.content_hash()
    assert live["weekly"].recurrence == MASTER.recurrence


def test_writing_the_master_leaves_its_overrides_alone(platform_db):
    rid = add_series(platform_db)
    with platform_db.begin() as conn:
        update_planning(conn, MOVED.key, MOVED)
        update_planning(conn, "weekly", replace(MASTER, summary="Weekly sync"))
    live, _ = scope(platform_db, rid)
    assert live["weekly"].summary == "Weekly sync"
    assert live[MOVED.key].summary == "Weekly (moved)"


def test_deleting_the_series_takes_its_overrides_and_one_override_goes_alone(platform_db):
    rid = add_series(platform_db)
    with platform_db.begin() as conn:
        update_planning(conn, MOVED.key, MOVED)
        soft_delete_planning(conn, MOVED.key)
    live, deleted = scope(platform_db, rid)
    assert list(live) == ["weekly"] and deleted == {MOVED.key}
    with platform_db.begin() as conn:
        update_planning(conn, MOVED.key, MOVED)
        soft_delete_planning(conn, "weekly")
    live, deleted = scope(platform_db, rid)
    assert live == {} and deleted == {"weekly", MOVED.key}


def test_migration_keeps_existing_rows_as_series_masters(tmp_path):
    from alembic import command

    db = PlatformDB(f"sqlite:///{tmp_path / 'p.db'}")
    command.upgrade(db._alembic_config(), "0001")
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO resources (key, name, kind, timezone, created_at) "
                "VALUES ('ana', 'Ana', 'person', 'UTC', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO planning_events (uid, resource_id, summary, kind, all_day, start_at, "
                "end_at, timezone, status, transparency, sequence, origin, created_at, updated_at) "
                "VALUES ('old', 1, 'Kept', 'meeting', 0, '2026-03-30 09:00:00', "
                "'2026-03-30 10:00:00', 'UTC', 'confirmed', 'opaque', 3, 'platform', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    db.upgrade()
    with db.begin() as conn:
        row = conn.execute(sa.select(planning_events)).mappings().one()
        assert (row["uid"], row["recurrence_id"], row["summary"], row["sequence"]) == (
            "old",
            "",
            "Kept",
            3,
        )
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(planning_events.insert().values(uid="old", resource_id=1))
        conn.execute(
            planning_events.insert().values(
                uid="old", recurrence_id="20260406T090000Z", resource_id=1
            )
        )
    db.dispose()
