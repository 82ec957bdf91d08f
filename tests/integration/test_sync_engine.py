"""The sync engine end to end: platform DB (SQLite and PostgreSQL) ↔ the in-memory calendar."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.context import RunContext
from ponton.errors import GuardRefused
from ponton.journal import Journal
from ponton.model import Event
from ponton.platform.schema import availability, conflicts, planning_events, sync_state
from ponton.sync.bindings import add_binding
from ponton.sync.engine import run_sync
from ponton.sync.status import SyncStatus
from tests.fakes.memory_calendar import MemoryCalendar

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 16, 8, tzinfo=UTC)


def add_event(db, uid, hour=10, resource="ana", **extra):
    with db.begin() as conn:
        rid = conn.execute(
            sa.text("select id from resources where key = :k"), {"k": resource}
        ).scalar()
        conn.execute(
            planning_events.insert().values(
                uid=uid,
                resource_id=rid,
                summary=extra.pop("summary", f"event {uid}"),
                start_at=NOW + timedelta(days=1, hours=hour - 8),
                end_at=NOW + timedelta(days=1, hours=hour - 7),
                timezone="Europe/Paris",
                **extra,
            )
        )


def planning(db, uid):
    with db.engine.connect() as conn:
        return (
            conn.execute(sa.select(planning_events).where(planning_events.c.uid == uid))
            .mappings()
            .one()
        )


@pytest.fixture
def setup(platform_db):
    binding = add_binding(
        platform_db,
        provider="google",
        source="primary",
        resource="ana",
        direction="both",
        policy="manual",
    )
    calendar = MemoryCalendar()
    journal = Journal(platform_db, RunContext("test", "r", "t"))

    def sync(**kw):
        return run_sync(platform_db, binding, lambda b: calendar, journal=journal, now=NOW, **kw)

    return platform_db, calendar, sync, binding


def test_platform_event_appears_once_and_rerun_writes_nothing(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1")
    first = sync()
    assert (first["remote_created"], first["created"]) == (1, 1)
    assert calendar.find("p1").event.summary == "event p1"
    second = sync()
    assert second["created"] == second["updated"] == second["deleted"] == 0
    assert second["unchanged"] == 1
    assert calendar.calls[-1] == "list"  # no write batch on the rerun
    assert len([e for e in calendar._events.values() if not e.deleted]) == 1


def test_remote_edit_comes_back_into_planning(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1")
    sync()
    calendar.edit(calendar.find("p1").remote_id, summary="Moved by Ana in Google")
    result = sync()
    assert result["platform_updated"] == 1
    row = planning(db, "p1")
    assert row["summary"] == "Moved by Ana in Google" and row["sequence"] == 1
    assert sync()["updated"] == 0  # no echo


def test_both_sides_edited_with_manual_policy_queues_a_conflict(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1")
    sync()
    calendar.edit(calendar.find("p1").remote_id, summary="remote edit")
    with db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.uid == "p1")
            .values(summary="platform edit")
        )
    result = sync()
    assert result["conflicts"] == 1
    assert calendar.find("p1").event.summary == "remote edit"
    assert planning(db, "p1")["summary"] == "platform edit"
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(conflicts)).mappings().one()
    assert row["kind"] == "edit_edit" and row["status"] == "open"
    assert row["platform_version"]["summary"] == "platform edit"
    assert sync()["conflicts"] == 0  # queued once, left alone until resolved


@pytest.mark.parametrize(
    ("policy", "winner"), [("platform-wins", "platform edit"), ("remote-wins", "remote edit")]
)
def test_policies_settle_both_sides_edits(platform_db, policy, winner):
    binding = add_binding(
        platform_db, provider="google", source="x", resource="ana", direction="both", policy=policy
    )
    calendar = MemoryCalendar()
    journal = Journal(platform_db, RunContext())
    add_event(platform_db, "p1")
    run_sync(platform_db, binding, lambda b: calendar, journal=journal, now=NOW)
    calendar.edit(calendar.find("p1").remote_id, summary="remote edit")
    with platform_db.begin() as conn:
        conn.execute(planning_events.update().values(summary="platform edit"))
    run_sync(platform_db, binding, lambda b: calendar, journal=journal, now=NOW)
    assert calendar.find("p1").event.summary == winner
    assert planning(platform_db, "p1")["summary"] == winner
    decision = journal.tail(integration="calendar", outcome="changed")
    assert any(e.action == "conflict_decision" and e.details["winner"] for e in decision)


def test_remote_delete_propagates_but_edit_beats_delete(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1")
    add_event(db, "p2", hour=14)
    sync()
    calendar.remove(calendar.find("p1").remote_id)
    calendar.remove(calendar.find("p2").remote_id)
    with db.begin() as conn:
        conn.execute(
            planning_events.update().where(planning_events.c.uid == "p2").values(summary="edited")
        )
    result = sync()
    assert result["platform_deleted"] == 1 and result["remote_created"] == 1
    assert planning(db, "p1")["deleted_at"] is not None
    assert calendar.find("p2").event.summary == "edited"


def test_platform_delete_propagates_to_the_remote(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1")
    sync()
    with db.begin() as conn:
        conn.execute(planning_events.update().values(deleted_at=NOW))
    assert sync()["remote_deleted"] == 1
    assert calendar.find("p1") is None
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sync_state)).scalar() == 0


def test_mass_delete_guard_refuses_then_override_applies(setup):
    db, calendar, sync, _ = setup
    for i in range(6):
        add_event(db, f"p{i}", hour=8 + i)
    sync()
    for stored in list(calendar._events):
        calendar.remove(stored)
    with pytest.raises(GuardRefused, match="refusing to delete 6 of 6"):
        sync()
    assert planning(db, "p0")["deleted_at"] is None
    assert sync(allow_mass_delete=True)["platform_deleted"] == 6


def test_crash_after_remote_write_does_not_duplicate_on_rerun(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1")

    class LosesTheDatabase(SyncStatus):
        def save_pair(self, key, remote, platform_hash):
            raise ConnectionError("DB went away after the remote write")

    with pytest.raises(ConnectionError):
        sync(status=LosesTheDatabase)
    assert len(calendar._events) == 1
    result = sync()
    assert result["remote_created"] == 0 and result["unchanged"] == 1
    assert len(calendar._events) == 1


def test_foreign_events_become_busy_blocks_and_double_bookings(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1", hour=10)
    calendar.add_foreign(
        Event(
            uid="dentist",
            start=NOW + timedelta(days=1, hours=2, minutes=30),
            end=NOW + timedelta(days=1, hours=3, minutes=30),
            summary="Dentist",
        )
    )
    calendar.add_foreign(
        Event(uid="holiday", start=date(2026, 3, 20), end=date(2026, 3, 21), summary="Off")
    )
    result = sync()
    assert result["foreign_created"] == 2 and result["busy_blocks"] == 2
    assert result["double_bookings"] == 1
    with db.engine.connect() as conn:
        kinds = conn.execute(sa.select(conflicts.c.kind, conflicts.c.status)).all()
        blocks = conn.execute(sa.select(sa.func.count()).select_from(availability)).scalar()
    assert kinds == [("double_booking", "open")] and blocks == 2
    rerun = sync()
    assert rerun["created"] == rerun["conflicts"] == 0 and rerun["unchanged"] == 3


def test_dry_run_plans_without_writing(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1")
    result = sync(dry_run=True)
    assert result["remote_created"] == 1 and result["plan"] == [
        "CreateRemote p1 'event p1' " + str(planning_event_start())
    ]
    assert calendar.find("p1") is None


def planning_event_start():
    from zoneinfo import ZoneInfo

    return (NOW + timedelta(days=1, hours=2)).astimezone(ZoneInfo("Europe/Paris"))


def test_an_event_the_remote_cannot_hold_is_refused_once_and_the_rest_syncs(setup):
    db, calendar, sync, _ = setup
    calendar.unwritable = "weird rule"
    add_event(db, "p1", summary="weird rule")
    add_event(db, "p2", hour=14)
    result = sync()
    assert result["refused"] == 1 and result["remote_created"] == 1
    assert calendar.find("p2") is not None and calendar.find("p1") is None
    (row,) = Journal(db).tail(outcome="refused")
    assert row.object_id == "p1" and "unwritable" in row.details["reason"]
    with db.engine.connect() as conn:
        (refusal,) = conn.execute(sa.select(conflicts)).mappings().all()
    assert (refusal["kind"], refusal["status"], refusal["platform_uid"]) == (
        "refused",
        "open",
        "p1",
    )

    calls = len(calendar.calls)
    again = sync()  # the same refused version is not offered again
    assert again["refused"] == 0 and calendar.calls[calls:] == ["list"]

    with db.begin() as conn:  # once its content changes, it is tried again, and written
        conn.execute(
            planning_events.update().where(planning_events.c.uid == "p1").values(summary="fixed")
        )
    assert sync()["remote_created"] == 1 and calendar.find("p1").event.summary == "fixed"
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(conflicts.c.status)).scalar_one() == "cleared"


def test_an_event_that_ages_out_of_the_window_is_left_alone_on_both_sides(setup):
    db, calendar, sync, _ = setup
    add_event(db, "p1")
    sync()
    later = NOW + timedelta(days=800)  # p1 is now older than the window reaches back
    from ponton.sync.engine import run_sync

    result = run_sync(db, 1, lambda b: calendar, journal=Journal(db), now=later)
    assert result["remote_deleted"] == 0 and calendar.find("p1") is not None
    assert planning(db, "p1")["deleted_at"] is None
