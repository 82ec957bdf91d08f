"""The remote-calendar contract: one suite that every adapter of the port runs.

Use it by subclassing in ``tests/contract/test_<adapter>.py``:

* writable backends subclass :class:`WritableCalendarContract` and provide a ``calendar`` fixture
  (a fresh, empty calendar, the backend class built directly: no Airflow connection), an
  ``edit_remotely(calendar, remote_id, summary)`` fixture that changes an event the way a person
  would in the provider's own UI (through the fake or server, not through the backend), and
  ``from_connection``: the same calendar opened the way the DAGs open it (hook or connection ->
  backend), or None for a test double;
* read-only feeds subclass :class:`ReadOnlyCalendarContract` and provide ``published``, a fixture
  returning a function ``(events) -> calendar`` that serves those events, and
  ``published_via_connection``, the same through the binding's connection.

Optional features are tested when the backend implements their protocol, skipped otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ponton.errors import PreconditionFailed
from ponton.model import Event
from ponton.sync.port import ChangeSet, PushChannels, RemoteCalendar, RemoteWrite, SeriesReader

PARIS = ZoneInfo("Europe/Paris")
WINDOW = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))


def sample_event(uid: str = "evt-1@platform", **changes) -> Event:
    fields = {
        "uid": uid,
        "start": datetime(2026, 3, 30, 10, tzinfo=PARIS),
        "end": datetime(2026, 3, 30, 11, 30, tzinfo=PARIS),
        "summary": "Atelier, phase 2; « béton »",
        "description": "Ordre du jour:\n1. relevés\n2. suite",
        "location": "Paris 13e",
        "timezone": "Europe/Paris",
    }
    return Event(**(fields | changes))


def all_day_event(uid: str = "evt-allday@platform") -> Event:
    return Event(uid=uid, start=date(2026, 3, 26), end=date(2026, 3, 28), summary="Visite de site")


def listing(calendar: RemoteCalendar, cursor: str | None = None) -> ChangeSet:
    return calendar.list_changes(cursor, *WINDOW)


def same_content(a: Event, b: Event) -> bool:
    """Equal for sync purposes, whatever uid the remote side assigned."""
    keys = ("start", "end", "summary", "description", "location", "status")
    return all(a.content()[k] == b.content()[k] for k in keys)


class ReadOnlyCalendarContract:
    def test_declares_read_capability(self, published):
        calendar = published([sample_event()])
        assert isinstance(calendar, RemoteCalendar)
        assert "read" in calendar.capabilities

    def test_full_listing_returns_every_event_in_the_window(self, published):
        events = [sample_event(), all_day_event()]
        changes = listing(published(events))
        got = {r.event.uid: r.event for r in changes.events}
        assert changes.full
        assert set(got) == {e.uid for e in events}
        for event in events:
            assert same_content(got[event.uid], event)

    def test_the_connection_path_serves_the_same_feed(self, published_via_connection):
        changes = listing(published_via_connection([sample_event()]))
        assert [r.event.uid for r in changes.events] == ["evt-1@platform"]

    def test_events_outside_the_window_are_left_out(self, published):
        late = sample_event(
            "late@platform",
            start=datetime(2026, 9, 1, 10, tzinfo=UTC),
            end=datetime(2026, 9, 1, 11, tzinfo=UTC),
        )
        uids = {r.event.uid for r in listing(published([sample_event(), late])).events}
        assert uids == {"evt-1@platform"}


class WritableCalendarContract:
    def _create(self, calendar, event, platform_uid=None):
        (result,) = calendar.apply_writes(
            [RemoteWrite("create", platform_uid or event.uid, event=event)]
        )
        assert result.error is None, result.error
        return result.remote

    def test_declares_read_and_write(self, calendar):
        assert isinstance(calendar, RemoteCalendar)
        assert {"read", "write"} <= calendar.capabilities

    def test_created_event_is_listed_with_its_platform_uid(self, calendar):
        created = self._create(calendar, sample_event())
        listed = {r.remote_id: r for r in listing(calendar).events}
        assert created.remote_id in listed
        assert listed[created.remote_id].platform_uid == "evt-1@platform"
        assert same_content(listed[created.remote_id].event, sample_event())

    def test_all_day_event_round_trips_with_exclusive_end(self, calendar):
        created = self._create(calendar, all_day_event())
        (listed,) = [r for r in listing(calendar).events if r.remote_id == created.remote_id]
        assert (listed.event.start, listed.event.end) == (date(2026, 3, 26), date(2026, 3, 28))

    def test_create_twice_for_the_same_platform_uid_keeps_one_event(self, calendar):
        first = self._create(calendar, sample_event())
        again = self._create(calendar, sample_event())
        assert again.remote_id == first.remote_id
        assert len(listing(calendar).events) == 1

    def test_find_returns_the_event_written_for_a_platform_uid(self, calendar):
        created = self._create(calendar, sample_event())
        assert calendar.find("evt-1@platform").remote_id == created.remote_id
        assert calendar.find("never-written@platform") is None

    def test_update_with_current_etag_changes_the_event(self, calendar):
        created = self._create(calendar, sample_event())
        (result,) = calendar.apply_writes(
            [
                RemoteWrite(
                    "update",
                    "evt-1@platform",
                    event=sample_event(summary="Atelier déplacé"),
                    remote_id=created.remote_id,
                    etag=created.etag,
                )
            ]
        )
        assert result.error is None
        assert calendar.find("evt-1@platform").event.summary == "Atelier déplacé"

    def test_update_after_a_remote_edit_is_refused_as_stale(self, calendar, edit_remotely):
        created = self._create(calendar, sample_event())
        if created.etag is None:
            pytest.skip("adapter has no etags")
        edit_remotely(calendar, created.remote_id, "Edited in the provider's UI")
        (result,) = calendar.apply_writes(
            [
                RemoteWrite(
                    "update",
                    "evt-1@platform",
                    event=sample_event(summary="ours"),
                    remote_id=created.remote_id,
                    etag=created.etag,
                )
            ]
        )
        assert isinstance(result.error, PreconditionFailed)
        assert calendar.find("evt-1@platform").event.summary == "Edited in the provider's UI"

    def test_delete_removes_and_deleting_again_succeeds(self, calendar):
        created = self._create(calendar, sample_event())
        delete = RemoteWrite("delete", "evt-1@platform", remote_id=created.remote_id)
        assert [r.error for r in calendar.apply_writes([delete])] == [None]
        assert [r.error for r in calendar.apply_writes([delete])] == [None]
        assert calendar.find("evt-1@platform") is None
        live = [r for r in listing(calendar).events if r.event.status != "CANCELLED"]
        assert live == []

    def test_many_writes_return_one_result_each_in_order(self, calendar):
        writes = [
            RemoteWrite("create", f"bulk-{i}@platform", event=sample_event(f"bulk-{i}@platform"))
            for i in range(7)
        ]
        results = calendar.apply_writes(writes)
        assert [r.write.platform_uid for r in results] == [w.platform_uid for w in writes]
        assert all(r.error is None for r in results)
        assert len({r.remote.remote_id for r in results}) == 7

    def test_incremental_listing_reports_only_what_changed(self, calendar, edit_remotely):
        if "incremental" not in calendar.capabilities:
            pytest.skip("adapter lists in full only")
        first = self._create(calendar, sample_event())
        second = self._create(calendar, sample_event("evt-2@platform"))
        cursor = listing(calendar).cursor
        assert cursor
        edit_remotely(calendar, second.remote_id, "changed remotely")
        changes = listing(calendar, cursor)
        assert not changes.full
        changed = {r.remote_id for r in changes.events}
        assert second.remote_id in changed and first.remote_id not in changed

    def test_an_unknown_cursor_falls_back_to_a_full_listing(self, calendar):
        if "incremental" not in calendar.capabilities:
            pytest.skip("adapter lists in full only")
        self._create(calendar, sample_event())
        changes = listing(calendar, "expired-or-garbage-cursor")
        assert changes.full and len(changes.events) == 1

    def test_window_is_respected(self, calendar):
        far = sample_event(
            "far@platform",
            start=datetime(2027, 1, 5, 9, tzinfo=UTC),
            end=datetime(2027, 1, 5, 10, tzinfo=UTC),
        )
        self._create(calendar, far)
        assert [r.platform_uid for r in listing(calendar).events] == []

    def test_the_connection_path_opens_the_same_calendar(self, calendar, from_connection):
        if from_connection is None:
            pytest.skip("a test double has no connection path")
        created = self._create(from_connection, sample_event())
        assert calendar.find("evt-1@platform").remote_id == created.remote_id

    def test_push_channels_open_renew_and_close(self, calendar):
        if not isinstance(calendar, PushChannels):
            pytest.skip("backend has no push channels")
        wanted = datetime.now(UTC) + timedelta(hours=1)
        opened = calendar.open_channel(
            channel_id="ponton-contract-1",
            address=f"https://hooks.example.com/ponton/webhooks/{calendar.webhook_route}",
            token="contract-token-" + "x" * 20,
            expires_at=wanted,
        )
        assert opened.channel_id and opened.expires_at <= wanted + timedelta(seconds=1)
        renewed = calendar.renew_channel(opened, expires_at=wanted + timedelta(hours=1))
        assert renewed is None or renewed.channel_id == opened.channel_id
        assert calendar.close_channel(opened) is True
        assert calendar.close_channel(opened) is False

    def test_a_series_is_read_by_its_master_id_and_a_gone_one_gives_nothing(self, calendar):
        if not isinstance(calendar, SeriesReader):
            pytest.skip("backend lists whole series")
        series = sample_event("series@platform", recurrence=("RRULE:FREQ=WEEKLY;COUNT=4",))
        created = self._create(calendar, series)
        found = calendar.read_series([created.remote_id], *WINDOW)
        masters = [r for r in found if not r.event.recurrence_id]
        assert [m.remote_id for m in masters] == [created.remote_id]
        assert masters[0].event.recurrence
        calendar.apply_writes([RemoteWrite("delete", series.uid, remote_id=created.remote_id)])
        assert calendar.read_series([created.remote_id], *WINDOW) == []
