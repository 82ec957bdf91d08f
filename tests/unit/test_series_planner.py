"""The planner on series: a master and each override are synced as objects of their own."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ponton.model import Event
from ponton.sync.planner import (
    CreateRemote,
    DeletePlatform,
    SyncStateRow,
    UpdatePlatform,
    UpdateRemote,
    plan_sync,
)
from ponton.sync.port import ChangeSet, RemoteEvent

MONDAY = datetime(2026, 3, 30, 9, tzinfo=UTC)
MASTER = Event(
    uid="weekly",
    start=MONDAY,
    end=MONDAY + timedelta(hours=1),
    summary="Weekly",
    recurrence=("RRULE:FREQ=WEEKLY;COUNT=10",),
)
SECOND = MONDAY + timedelta(weeks=1)
MOVED = replace(
    MASTER,
    recurrence=(),
    recurrence_id=SECOND,
    start=SECOND + timedelta(hours=3),
    end=SECOND + timedelta(hours=4),
)


def remote(event, remote_id, etag='"1"'):
    return RemoteEvent(remote_id, event, etag=etag, platform_uid=event.uid)


def synced(*pairs):
    return {
        event.key: SyncStateRow(event.key, rid, '"1"', event.content_hash(), event.content_hash())
        for event, rid in pairs
    }


def plan(platform, remotes, state):
    return plan_sync(
        platform={e.key: e for e in platform},
        changes=ChangeSet(list(remotes), full=True),
        state=state,
        known_foreign={},
        direction="both",
        policy="manual",
    )


def test_occurrence_moved_remotely_becomes_a_platform_override_not_a_busy_block():
    result = plan([MASTER], [remote(MASTER, "m"), remote(MOVED, "m#o")], synced((MASTER, "m")))
    assert result.actions == [UpdatePlatform(MOVED.key, remote(MOVED, "m#o"))]
    assert result.foreign_upserts == []


def test_override_made_on_the_platform_is_created_remotely_on_its_own():
    result = plan([MASTER, MOVED], [remote(MASTER, "m")], synced((MASTER, "m")))
    assert result.actions == [CreateRemote(MOVED.key, MOVED)]


def test_series_edit_does_not_touch_the_overrides():
    renamed = replace(MASTER, summary="Weekly sync")
    result = plan(
        [renamed, MOVED],
        [remote(MASTER, "m"), remote(MOVED, "m#o")],
        synced((MASTER, "m"), (MOVED, "m#o")),
    )
    assert result.actions == [UpdateRemote(MASTER.key, "m", '"1"', renamed)]
    assert result.unchanged == 1


def test_override_removed_remotely_returns_the_occurrence_to_its_series():
    result = plan([MASTER, MOVED], [remote(MASTER, "m")], synced((MASTER, "m"), (MOVED, "m#o")))
    assert result.actions == [DeletePlatform(MOVED.key, "m#o")]


def test_override_of_a_foreign_series_stays_foreign():
    stranger = replace(MOVED, uid="stranger")
    result = plan([MASTER], [remote(MASTER, "m"), remote(stranger, "s#o")], synced((MASTER, "m")))
    assert result.actions == [] and [r.remote_id for r in result.foreign_upserts] == ["s#o"]
