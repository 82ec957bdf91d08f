"""An ICS feed served over loopback HTTP with ETags passes the read-only contract."""

import itertools
import json

import pytest

from ponton.calendars.backends.ics import FeedCursor, IcsFeedCalendar
from ponton.ics import export_calendar
from ponton.ics.feeds import FeedOptions
from tests.contract.remote_calendar import ReadOnlyCalendarContract, listing, sample_event
from tests.fakes.ics_server import IcsServer

pytestmark = pytest.mark.contract
LOOPBACK = FeedOptions(allow_hosts=("127.0.0.1",))


@pytest.fixture(scope="module")
def server():
    with IcsServer() as running:
        yield running


@pytest.fixture
def published(server):
    counter = itertools.count()

    def publish(events):
        url = server.publish(
            f"/feed-{id(events)}-{next(counter)}.ics", export_calendar(events, "Contract")
        )
        return IcsFeedCalendar(url, options=LOOPBACK)

    return publish


@pytest.fixture
def published_via_connection(server, monkeypatch):
    """The feed URL kept in the binding's connection (a private feed URL is a secret)."""
    from ponton.calendars.backends.connect import open_ics_feed
    from ponton.secrets import EnvConnectionResolver
    from ponton.sync.bindings import Binding

    def publish(events):
        url = server.publish("/via-connection.ics", export_calendar(events, "Contract"))
        conn = {"conn_type": "ponton_ics", "extra": {"url": url, "allow_hosts": "127.0.0.1"}}
        monkeypatch.setenv("AIRFLOW_CONN_ICS_CONTRACT", json.dumps(conn))
        binding = Binding(
            id=1,
            provider="ics",
            source="unused",
            resource_id=1,
            resource_key="ana",
            resource_timezone="Europe/Paris",
            direction="import",
            conflict_policy="manual",
            conn_id="ics_contract",
        )
        return open_ics_feed(binding, EnvConnectionResolver())

    return publish


class TestIcsFeedCalendar(ReadOnlyCalendarContract):
    pass


def test_unchanged_feed_lists_empty_and_not_full(published, server):
    calendar = published([sample_event()])
    first = listing(calendar)
    again = listing(calendar, first.cursor)
    assert first.full and not again.full and list(again.events) == []
    assert calendar.last_errors == []
    assert server.requests[-1][1].get("If-None-Match")


def test_only_regenerated_dtstamp_is_recognised_by_the_feed_hash(server):
    url = server.publish("/regen.ics", export_calendar([sample_event()], "R"))
    calendar = IcsFeedCalendar(url, options=LOOPBACK)
    first = listing(calendar)
    server.publish(
        "/regen.ics", export_calendar([sample_event()], "R").replace(b"DTSTAMP:2", b"DTSTAMP:1")
    )
    again = listing(calendar, first.cursor)
    assert not again.full and list(again.events) == []
    assert calendar.last_cursor.etag != FeedCursor.decode(first.cursor).etag  # body did change


def test_a_changed_feed_lists_only_the_change_and_a_garbage_cursor_lists_in_full(server):
    kept, gone = sample_event("kept@platform"), sample_event("gone@platform")
    url = server.publish("/changing.ics", export_calendar([sample_event(), kept, gone], "C"))
    calendar = IcsFeedCalendar(url, options=LOOPBACK)
    first = listing(calendar)
    assert first.full and len(first.events) == 3
    server.publish("/changing.ics", export_calendar([sample_event(summary="moved"), kept], "C"))
    changed = listing(calendar, first.cursor)
    assert not changed.full
    assert [(r.remote_id, r.event.summary) for r in changed.events] == [("evt-1@platform", "moved")]
    assert list(changed.deleted) == ["gone@platform"]
    assert listing(calendar, "not-a-cursor").full


def test_find_and_read_only_writes(published):
    from ponton.sync.port import RemoteWrite

    calendar = published([sample_event()])
    assert calendar.find("evt-1@platform").remote_id == "evt-1@platform"
    assert calendar.find("other@platform") is None
    [result] = calendar.apply_writes([RemoteWrite("delete", "evt-1@platform", remote_id="x")])
    assert "read-only" in str(result.error)


def test_isolated_components_are_reported_for_the_journal(tmp_path):
    from pathlib import Path

    hostile = Path(__file__).resolve().parents[1] / "fixtures" / "ics" / "hostile.ics"
    calendar = IcsFeedCalendar(str(hostile))
    uids = {r.platform_uid for r in listing(calendar).events}
    assert uids == {"injection@test", "backwards@test", "unknown-tz@test", "fine@test"}
    assert any("secondly@test" in error for error in calendar.last_errors)


def test_a_feed_is_not_fetched_before_its_refresh_hint_has_passed(server):
    from dataclasses import replace
    from datetime import timedelta

    hinted = export_calendar([sample_event()], "C", refresh=timedelta(hours=1))
    url = server.publish("/hinted.ics", hinted)
    calendar = IcsFeedCalendar(url, options=LOOPBACK)
    first = listing(calendar)
    fetches = len(server.requests)
    again = listing(calendar, first.cursor)
    assert not again.full and list(again.events) == []
    assert len(server.requests) == fetches  # no request at all, not even a conditional GET
    earlier = FeedCursor.decode(first.cursor)
    stale = replace(earlier, fetched_at="2000-01-01T00:00:00+00:00").encode()
    listing(calendar, stale)
    assert len(server.requests) == fetches + 1
    assert "If-None-Match" in server.requests[-1][1]  # conditional GET stays
    eager = IcsFeedCalendar(url, options=replace(LOOPBACK, refresh_interval=0))
    listing(eager, first.cursor)
    assert len(server.requests) == fetches + 2
