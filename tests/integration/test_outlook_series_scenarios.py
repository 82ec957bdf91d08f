"""A weekly platform series in Outlook with one occurrence moved and one deleted, on either side,
through ponton's Graph session against the Graph fake (exceptions, deleted occurrences and
``/events/{id}/instances`` as Graph documents them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ponton.calendars.backends.outlook import RELISTED_FOR_REMOVALS
from ponton.model import moment_key
from ponton.platform.schema import availability, integration_journal, planning_events
from ponton.sync.bindings import add_binding
from ponton.sync.engine import run_sync
from ponton.sync.status import SyncStatus
from tests.fakes.graph_fixtures import MAILBOX, outlook_backend_for
from tests.integration.test_series_scenarios import (
    FIRST,
    NOW,
    Sync,
    add_override,
    add_series,
    pushed,
    series_rows,
    week,
    writes,
)

pytestmark = pytest.mark.integration
SPAN = (FIRST - timedelta(days=1), FIRST + timedelta(weeks=12))
WRITES = ("PATCH", "DELETE", "PUT")


def graph_time(moment) -> dict[str, str]:
    local = moment.astimezone(FIRST.tzinfo)
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "Europe/Paris"}


@pytest.fixture
def outlook(platform_db, graph_fake):
    sync = pushed(platform_db, outlook_backend_for(graph_fake), provider="outlook", source=MAILBOX)
    return platform_db, graph_fake, sync


def master_of(fake) -> dict:
    (master,) = fake.events(MAILBOX)
    return master


def instances(fake) -> dict[str, dict]:
    """The series' instances as Outlook lists them, by recurrence id."""
    rows = fake.instances(MAILBOX, master_of(fake)["id"], *SPAN)
    return {moment_key(_utc(r["originalStart"])): r for r in rows}


def _utc(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)


def mark(fake) -> tuple[int, int]:
    return len(fake.requests), len(fake.parts)


def write_requests(fake, since: tuple[int, int]) -> list[tuple[str, str]]:
    """Writes the fake served since ``mark``: requests on their own and ``$batch`` parts."""
    served = fake.requests[since[0] :] + fake.parts[since[1] :]
    return [
        (m, p)
        for m, p in served
        if m in WRITES or (m == "POST" and not p.endswith(("/$batch", "/token")))
    ]


def move_second_and_delete_third_in_outlook(fake) -> None:
    listed = instances(fake)
    moved = listed[moment_key(week(1))]["id"]
    fake.edit(MAILBOX, moved, start=graph_time(week(1, 2)), end=graph_time(week(1, 3)))
    fake.remove(MAILBOX, listed[moment_key(week(2))]["id"])


def test_occurrence_moved_and_deleted_in_outlook_become_exactly_two_overrides(outlook):
    db, fake, sync = outlook
    move_second_and_delete_third_in_outlook(fake)
    result = sync()
    assert result["platform_updated"] == 2 and result["remote_updated"] == 0
    rows = series_rows(db)
    assert sorted(rows) == ["", moment_key(week(1)), moment_key(week(2))]
    moved = rows[moment_key(week(1))]
    assert (moved["start_at"], moved["end_at"]) == (week(1, 2), week(1, 3))
    assert moved["status"] == "confirmed" and moved["timezone"] == "Europe/Paris"
    assert rows[moment_key(week(2))]["status"] == "cancelled"
    assert rows[""]["recurrence"] == "RRULE:FREQ=WEEKLY;COUNT=10"
    with db.engine.connect() as conn:
        (why,) = conn.execute(
            sa.select(integration_journal.c.details).where(
                integration_journal.c.action == "full_resync"
            )
        ).scalars()
    assert why["reason"] == RELISTED_FOR_REMOVALS  # not an expired cursor
    before = mark(fake)
    assert writes(sync()) == 0
    assert write_requests(fake, before) == []


def test_occurrence_moved_and_cancelled_on_the_platform_reach_outlook(outlook):
    db, fake, sync = outlook
    add_override(db, 4, hours=3)
    add_override(db, 5, status="cancelled")
    before = mark(fake)
    result = sync()
    assert result["remote_created"] == 2 and result["refused"] == 0
    assert sorted(m for m, _ in write_requests(fake, before)) == ["DELETE", "PATCH"]
    listed = instances(fake)
    assert moment_key(week(5)) not in listed and len(listed) == 9
    moved = listed[moment_key(week(4))]
    assert moved["type"] == "exception" and moved["start"] == graph_time(week(4, 3))
    assert all(r["type"] == "occurrence" for k, r in listed.items() if k != moment_key(week(4)))
    before = mark(fake)
    assert writes(sync()) == 0
    assert write_requests(fake, before) == []
    assert sorted(series_rows(db)) == ["", moment_key(week(4)), moment_key(week(5))]


def test_a_master_exdate_deletes_that_occurrence_in_outlook(platform_db, graph_fake):
    add_series(platform_db)
    with platform_db.begin() as conn:
        conn.execute(
            planning_events.update().values(
                recurrence=f"RRULE:FREQ=WEEKLY;COUNT=10\nEXDATE:{moment_key(week(3))}"
            )
        )
    binding = add_binding(
        platform_db, provider="outlook", source=MAILBOX, resource="ana", direction="both"
    )
    sync = Sync(platform_db, binding, outlook_backend_for(graph_fake))
    result = sync()
    assert result["remote_created"] == 1 and result["refused"] == 0
    assert moment_key(week(3)) not in instances(graph_fake) and len(instances(graph_fake)) == 9
    sync()  # Outlook's deleted occurrence comes back as the platform's cancelled override
    assert writes(sync()) == 0


def test_whole_series_deleted_in_outlook_is_deleted_on_the_platform(outlook):
    db, fake, sync = outlook
    move_second_and_delete_third_in_outlook(fake)
    sync()
    fake.remove(MAILBOX, master_of(fake)["id"])
    result = sync()
    assert result["platform_deleted"] == 3
    assert series_rows(db) == {}
    assert writes(sync()) == 0


def test_an_outlook_edit_of_an_exception_keeps_paris_time_and_plain_text(outlook):
    db, fake, sync = outlook
    add_override(db, 1, hours=2)
    with db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.recurrence_id == moment_key(week(1)))
            .values(description="Ordre du jour\nPoint 2 & 3")
        )
    sync()
    exception = instances(fake)[moment_key(week(1))]
    fake.edit(MAILBOX, exception["id"], subject="Revue déplacée")  # saved back as HTML
    result = sync()
    assert result["platform_updated"] == 1 and result["remote_updated"] == 0
    moved = series_rows(db)[moment_key(week(1))]
    assert moved["summary"] == "Revue déplacée" and moved["timezone"] == "Europe/Paris"
    assert moved["description"] == "Ordre du jour\nPoint 2 & 3"
    assert (moved["start_at"], moved["end_at"]) == (week(1, 2), week(1, 3))
    assert writes(sync()) == 0


def test_an_expired_delta_token_resyncs_without_duplicates_or_deletions(outlook):
    db, fake, sync = outlook
    move_second_and_delete_third_in_outlook(fake)
    sync()
    rows = series_rows(db)
    assert sorted(rows) == ["", moment_key(week(1)), moment_key(week(2))]
    fake.expire_delta_tokens()
    before = mark(fake)
    result = sync()
    assert result["full_listing"] and writes(result) == 0
    assert result["platform_deleted"] == result["remote_deleted"] == 0
    assert write_requests(fake, before) == []
    assert series_rows(db) == rows and len(fake.events(MAILBOX)) == 1


def test_giving_a_moved_occurrence_back_to_its_series_is_refused_naming_the_fix(outlook):
    db, fake, sync = outlook
    add_override(db, 1, hours=2)
    sync()
    with db.begin() as conn:
        conn.execute(
            planning_events.delete().where(planning_events.c.recurrence_id == moment_key(week(1)))
        )
    before = mark(fake)
    result = sync()
    assert result["refused"] == 1 and result["remote_deleted"] == 0
    assert write_requests(fake, before) == []
    assert instances(fake)[moment_key(week(1))]["type"] == "exception"


def test_foreign_outlook_series_is_busy_at_the_moved_time_and_free_when_deleted(
    platform_db, graph_fake
):
    add_series(platform_db)
    graph_fake.add_foreign(
        MAILBOX,
        {
            "subject": "Their weekly",
            "start": graph_time(FIRST),
            "end": graph_time(FIRST + timedelta(minutes=30)),
            "originalStartTimeZone": "Romance Standard Time",
            "recurrence": {
                "pattern": {
                    "type": "weekly",
                    "interval": 1,
                    "daysOfWeek": ["monday"],
                    "firstDayOfWeek": "monday",
                },
                "range": {
                    "type": "numbered",
                    "numberOfOccurrences": 10,
                    "startDate": FIRST.date().isoformat(),
                    "recurrenceTimeZone": "Romance Standard Time",
                },
            },
        },
    )
    move_second_and_delete_third_in_outlook(graph_fake)
    binding = add_binding(platform_db, provider="outlook", source=MAILBOX, resource="ana")
    result = Sync(platform_db, binding, outlook_backend_for(graph_fake))()
    assert result["busy_blocks"] == 9
    with platform_db.engine.connect() as conn:
        starts = set(conn.execute(sa.select(availability.c.start_at)).scalars())
    assert week(1, 2) in starts and week(1) not in starts and week(2) not in starts


def test_a_far_move_written_before_a_crash_is_found_again_not_duplicated(outlook):
    """The pair of a moved occurrence is lost after the PATCH (the platform DB went away): the
    next run finds the exception three days away from its original start and links it."""
    db, fake, sync = outlook
    add_override(db, 3, hours=72)

    class LosesTheDatabase(SyncStatus):
        def save_pair(self, key, remote, platform_hash):
            raise ConnectionError("platform DB lost after the remote write")

    with pytest.raises(ConnectionError):
        run_sync(
            db,
            sync.binding,
            lambda b: sync.calendar,
            journal=sync.journal,
            now=NOW,
            status=LosesTheDatabase,
        )
    before = mark(fake)
    result = sync()
    assert result["refused"] == result["stale"] == 0
    assert write_requests(fake, before) == []
    moved = instances(fake)[moment_key(week(3))]
    assert moved["type"] == "exception" and moved["start"] == graph_time(week(3, 72))
    assert writes(sync()) == 0


def test_an_occurrence_deleted_in_outlook_is_not_restored_by_a_winning_platform_edit(
    platform_db, graph_fake
):
    """Both sides changed one occurrence and the platform's version wins: Outlook cannot restore
    the occurrence it deleted, so that write alone is refused, naming the fix."""
    add_series(platform_db)
    binding = add_binding(
        platform_db,
        provider="outlook",
        source=MAILBOX,
        resource="ana",
        direction="both",
        policy="platform-wins",
    )
    sync = Sync(platform_db, binding, outlook_backend_for(graph_fake))
    sync()
    add_override(platform_db, 1, hours=2)
    graph_fake.remove(MAILBOX, instances(graph_fake)[moment_key(week(1))]["id"])
    before = mark(graph_fake)
    result = sync()
    assert result["refused"] == 1 and write_requests(graph_fake, before) == []
    assert moment_key(week(1)) not in instances(graph_fake)
    with platform_db.engine.connect() as conn:
        reason = conn.execute(
            sa.select(integration_journal.c.details).where(
                integration_journal.c.outcome == "refused"
            )
        ).scalar_one()
    assert "cannot restore" in reason["reason"] and "cancel it on the platform" in reason["reason"]


def test_a_series_whose_occurrences_in_the_window_are_all_deleted_in_outlook_is_kept(
    platform_db, graph_fake
):
    """calendarView lists a series through its live occurrences in the window only: once those
    are deleted in Outlook the series is absent from the listing, yet alive beyond the window.
    It is read whole before anything is deleted on the platform, so its deleted occurrences
    reach the platform as cancelled overrides."""
    sync = pushed(
        platform_db,
        outlook_backend_for(graph_fake),
        provider="outlook",
        source=MAILBOX,
        future_days=20,  # the window holds the first two occurrences only
    )
    listed = instances(graph_fake)
    for n in (0, 1):
        graph_fake.remove(MAILBOX, listed[moment_key(week(n))]["id"])
    result = sync()
    assert result.get("platform_deleted", 0) == 0
    rows = series_rows(platform_db)
    assert "" in rows, "the series itself is still on the platform"
    assert {rows[moment_key(week(n))]["status"] for n in (0, 1)} == {"cancelled"}
    assert master_of(graph_fake)["id"]
    assert writes(sync()) == 0, "an unchanged rerun writes nothing"
