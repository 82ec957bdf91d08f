"""The pure planner: each rule on its own, with incremental and full listings."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ponton.model import Event, event_key
from ponton.sync.guard import check_mass_delete
from ponton.sync.planner import (
    Conflict,
    CreateRemote,
    DeletePlatform,
    DeleteRemote,
    ForgetState,
    LinkState,
    SyncStateRow,
    UpdatePlatform,
    UpdateRemote,
    plan_sync,
    series_in_window,
    sync_hash,
    unlisted_keys,
)
from ponton.sync.port import ChangeSet, RemoteEvent

T0 = datetime(2026, 3, 30, 10, tzinfo=UTC)
T1 = datetime(2026, 3, 30, 11, tzinfo=UTC)


def ev(uid="u1", summary="s", **kw):
    return Event(uid=uid, start=T0, end=T1, summary=summary, **kw)


def remote(uid="u1", summary="s", rid="r1", etag='"1"', **kw):
    return RemoteEvent(rid, ev(f"remote-{uid}", summary, **kw), etag=etag, platform_uid=uid)


def state(uid="u1", platform=None, remote_event=None, rid="r1"):
    return {
        uid: SyncStateRow(
            uid,
            rid,
            '"1"',
            (platform or ev(uid)).content_hash(),
            (remote_event or remote(uid)).event.content_hash(),
        )
    }


def plan(platform=(), remotes=(), st=None, full=True, deleted=(), **kw):
    return plan_sync(
        platform={e.uid: e for e in platform},
        changes=ChangeSet(list(remotes), full=full, cursor="c2", deleted=list(deleted)),
        state=st or {},
        known_foreign=kw.pop("known_foreign", {}),
        **kw,
    )


def kinds(p):
    return [type(a) for a in p.actions]


def test_new_platform_event_is_created_remotely():
    assert kinds(plan([ev()])) == [CreateRemote]


def test_import_only_never_writes_remotely():
    assert plan([ev()], direction="import").actions == []


def test_matching_remote_copy_without_state_is_linked_not_duplicated():
    p = plan([ev()], [remote()])
    assert kinds(p) == [LinkState]


def test_nothing_changed_means_nothing_to_do_in_full_and_incremental_listings():
    assert plan([ev()], [remote()], state()).actions == []
    assert plan([ev()], [], state(), full=False).unchanged == 1


def test_platform_edit_updates_remote_with_the_known_etag():
    (action,) = plan([ev(summary="new")], [remote()], state()).actions
    assert isinstance(action, UpdateRemote) and action.etag == '"1"'


def test_remote_edit_updates_platform():
    (action,) = plan([ev()], [remote(summary="theirs")], state()).actions
    assert isinstance(action, UpdatePlatform) and action.remote.event.summary == "theirs"


def test_export_only_ignores_remote_edits():
    p = plan([ev()], [remote(summary="theirs")], state(), direction="export")
    assert p.actions == [] and p.unchanged == 1


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("platform-wins", UpdateRemote),
        ("remote-wins", UpdatePlatform),
        ("manual", Conflict),
    ],
)
def test_both_edited_follows_policy(policy, expected):
    p = plan([ev(summary="ours")], [remote(summary="theirs")], state(), policy=policy)
    assert kinds(p) == [expected]
    assert p.decisions[0].policy == policy


@pytest.mark.parametrize("policy", ["remote-wins", "manual", "newest-wins"])
def test_own_unrecorded_write_then_a_platform_edit_updates_the_remote(policy):
    """A run wrote ``remote`` for an unpaired event and stopped before recording the pair; the
    platform has changed since: the remote holds ponton's own version, not an edit there."""
    written = remote(summary="written")
    in_flight = {"u1": sync_hash(written.event)}
    (action,) = plan([ev(summary="later")], [written], policy=policy, in_flight=in_flight).actions
    assert isinstance(action, UpdateRemote) and action.event.summary == "later"
    # Without the note (or with another version noted) it stays an edit on both sides.
    other = {"u1": sync_hash(remote(summary="other").event)}
    assert kinds(plan([ev(summary="later")], [written], policy="remote-wins")) == [UpdatePlatform]
    p = plan([ev(summary="later")], [written], policy="remote-wins", in_flight=other)
    assert kinds(p) == [UpdatePlatform]


def test_newest_wins_compares_modification_times():
    older, newer = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    p = plan(
        [ev(summary="ours", last_modified=older)],
        [remote(summary="theirs", last_modified=newer)],
        state(),
        policy="newest-wins",
    )
    assert kinds(p) == [UpdatePlatform]


def test_identical_edits_on_both_sides_just_relink():
    assert kinds(plan([ev(summary="same")], [remote(summary="same")], state())) == [LinkState]


def test_remote_delete_propagates_unless_platform_edited():
    assert kinds(plan([ev()], [], state(), full=False, deleted=["r1"])) == [DeletePlatform]
    assert kinds(plan([ev(summary="edited")], [], state())) == [CreateRemote]


def test_a_series_a_listing_cannot_show_is_not_read_as_deleted_remotely():
    weekly = ev(recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",))
    st = state(platform=weekly)
    assert kinds(plan([weekly], [], st, unlisted=["u1"])) == []
    assert kinds(plan([weekly], [], st, full=False, deleted=["r1"], unlisted=["u1"])) == [
        DeletePlatform
    ]  # an explicit removal still counts
    assert kinds(plan([], [], st, unlisted=["u1"])) == [DeleteRemote]  # deleted on the platform


def test_series_in_window_looks_at_occurrences():
    weekly = ev(recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",))
    assert series_in_window(
        weekly, datetime(2026, 4, 10, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert not series_in_window(
        weekly, datetime(2026, 4, 14, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert series_in_window(
        ev(), datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)
    )


def test_a_series_with_every_occurrence_in_the_window_cancelled_is_unlisted_with_overrides():
    weekly = ev(recurrence=("RRULE:FREQ=WEEKLY;COUNT=2",))
    window = (T0 - timedelta(days=1), T0 + timedelta(days=30))
    cancelled = {
        event_key("u1", moment): replace(
            weekly, recurrence=(), recurrence_id=moment, status="CANCELLED"
        )
        for moment in (T0, T0 + timedelta(weeks=1))
    }
    platform = {"u1": weekly, **cancelled, "single": ev("single")}
    assert sorted(unlisted_keys(platform, *window)) == sorted(["u1", *cancelled])
    live = dict(platform) | {
        next(iter(cancelled)): replace(next(iter(cancelled.values())), status="CONFIRMED")
    }
    assert unlisted_keys(live, *window) == []


def test_platform_delete_propagates_unless_remote_edited():
    assert kinds(plan([], [remote()], state())) == [DeleteRemote]
    assert kinds(plan([], [remote(summary="edited")], state())) == [UpdatePlatform]


def test_deleted_on_both_sides_forgets_the_pair():
    assert kinds(plan([], [], state())) == [ForgetState]


def test_open_conflicts_are_left_alone():
    p = plan([ev(summary="ours")], [remote(summary="theirs")], state(), left_alone=["u1"])
    assert p.actions == []


def test_foreign_events_are_upserted_once_then_unchanged_then_removed():
    foreign = RemoteEvent("f1", ev("dentist"), platform_uid=None)
    first = plan([], [foreign])
    assert [r.remote_id for r in first.foreign_upserts] == ["f1"]
    known = {"f1": foreign.event.content_hash()}
    again = plan([], [foreign], known_foreign=known)
    assert again.foreign_upserts == [] and again.foreign_unchanged == 1
    incremental = plan([], [], full=False, known_foreign=known)
    assert incremental.foreign_unchanged == 1 and incremental.foreign_removals == []
    assert plan([], [], known_foreign=known).foreign_removals == ["f1"]


def test_remote_copy_of_a_platform_deleted_event_is_not_foreign_and_goes_when_exporting():
    # Written by ponton in a run that stopped before recording it, then deleted on the platform.
    p = plan([], [remote()], platform_deleted=["u1"])
    assert p.foreign_upserts == [] and p.actions == [DeleteRemote("u1", "r1", '"1"')]
    imported = plan([], [remote()], platform_deleted=["u1"], direction="import")
    assert imported.foreign_upserts == [] and imported.actions == []


@pytest.mark.parametrize(("bad", "value"), [("direction", "sideways"), ("policy", "coin-flip")])
def test_unknown_direction_or_policy_is_refused(bad, value):
    with pytest.raises(ValueError, match=value):
        plan([ev()], **{bad: value})


def test_mass_delete_guard_counts_every_kind_of_deletion():
    st = {}
    for i in range(10):
        st |= state(f"u{i}", rid=f"r{i}")
    p = plan([], [], st, full=False, direction="export")
    assert len(p.of(DeleteRemote)) == 10
    with pytest.raises(Exception, match="refusing to delete 10 of 10"):
        check_mass_delete(p, known=10, binding="binding 1")
    check_mass_delete(p, known=10, binding="binding 1", allow=True)
    check_mass_delete(p, known=4, binding="binding 1")  # below the floor: small calendars


def test_a_new_etag_on_unchanged_content_is_remembered():
    (action,) = plan([ev()], [remote(etag='"3"')], state()).actions
    assert isinstance(action, LinkState) and action.remote.etag == '"3"'
