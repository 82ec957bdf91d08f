"""CalDAV against two real, independent servers (Radicale and Xandikos) passes the writable
contract; where they differ, docs/integrations/ics.md says how."""

import itertools
import json

import caldav
import icalendar
import pytest

from ponton.calendars.backends.caldav import CalDavCalendar, href_for
from ponton.net.egress import EgressPolicy
from tests.contract.remote_calendar import WritableCalendarContract, listing, sample_event
from tests.fakes.radicale_server import RadicaleServer
from tests.fakes.xandikos_server import XandikosServer

pytestmark = [pytest.mark.contract, pytest.mark.integration]
_names = itertools.count()


@pytest.fixture(
    scope="module", params=[RadicaleServer, XandikosServer], ids=["radicale", "xandikos"]
)
def dav_server(request):
    with request.param() as server:
        yield server


@pytest.fixture(scope="module")
def plain_client(dav_server):
    """A plain caldav client, standing for the person's own calendar app."""
    return caldav.DAVClient(url=dav_server.url, username="ana", password="x", require_tls=False)


@pytest.fixture(scope="module")
def principal(plain_client):
    return plain_client.principal()


@pytest.fixture
def calendar(principal, dav_server):
    made = principal.make_calendar(name="Travail", cal_id=f"cal-{next(_names)}")
    return CalDavCalendar.connect(
        dav_server.url,
        username="ana",
        password="x",
        calendar_url=str(made.url),
        egress=EgressPolicy(allow_hosts=("127.0.0.1",)),
    )


@pytest.fixture
def from_connection(calendar, monkeypatch):
    """The binding's connection holds the login and app password; the source is the URL."""
    from ponton.calendars.backends.connect import open_caldav
    from ponton.secrets import EnvConnectionResolver
    from ponton.sync.bindings import Binding

    conn = {
        "conn_type": "ponton_caldav",
        "login": "ana",
        "password": "x",
        "extra": {"allow_hosts": "127.0.0.1"},  # the loopback server passes the egress guard
    }
    monkeypatch.setenv("AIRFLOW_CONN_CALDAV_CONTRACT", json.dumps(conn))
    binding = Binding(
        id=1,
        provider="caldav",
        source=str(calendar.calendar.url),
        resource_id=1,
        resource_key="ana",
        resource_timezone="Europe/Paris",
        direction="both",
        conflict_policy="manual",
        conn_id="caldav_contract",
    )
    return open_caldav(binding, EnvConnectionResolver())


@pytest.fixture
def edit_remotely(plain_client):
    def edit(calendar, remote_id, summary):
        own = plain_client.calendar(url=str(calendar.calendar.url))
        event = own.event_by_url(calendar.calendar.url.join(remote_id))
        event.load()
        component = event.icalendar_component
        component.pop("SUMMARY")
        component.add("SUMMARY", summary)
        event.save()

    return edit


class TestCalDavCalendar(WritableCalendarContract):
    pass


def test_href_is_derived_from_the_platform_uid():
    assert href_for("evt-1@platform") == "evt-1%40platform.ics"
    assert href_for("a/b c") == href_for("a/b c") and href_for("a/b c").endswith(".ics")
    assert "/" not in href_for("a/b c")


def test_events_created_in_the_app_are_listed_as_foreign(calendar, plain_client):
    own = plain_client.calendar(url=str(calendar.calendar.url))
    data = icalendar.Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:app\r\nBEGIN:VEVENT\r\nUID:app-1\r\n"
        b"DTSTAMP:20260301T000000Z\r\nDTSTART:20260401T080000Z\r\nDTEND:20260401T090000Z\r\n"
        b"SUMMARY:Dentiste\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    own.save_event(data.to_ical().decode())
    [listed] = listing(calendar).events
    assert (listed.platform_uid, listed.event.summary) == ("app-1", "Dentiste")


def test_remote_delete_is_reported_incrementally(calendar, plain_client):
    from ponton.sync.port import RemoteWrite

    [created] = calendar.apply_writes(
        [RemoteWrite("create", "gone@p", event=sample_event("gone@p"))]
    )
    cursor = listing(calendar).cursor
    plain_client.calendar(url=str(calendar.calendar.url)).event_by_url(
        calendar.calendar.url.join(created.remote.remote_id)
    ).delete()
    changes = listing(calendar, cursor)
    assert not changes.full and created.remote.remote_id in changes.deleted


APP_EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:app\r\nBEGIN:VEVENT\r\n{uid}"
    "DTSTAMP:20260301T000000Z\r\nDTSTART:20260402T080000Z\r\nDTEND:20260402T090000Z\r\n"
    "SUMMARY:Rendez-vous\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_creating_a_uid_the_app_stored_under_another_name_returns_that_event(
    calendar, plain_client
):
    from ponton.sync.port import RemoteWrite

    # RFC 4791 section 5.3.2.1 (CALDAV:no-uid-conflict): Radicale answers 409, Xandikos 412.
    url = str(calendar.calendar.url.join("chosen-by-the-app.ics"))
    body = APP_EVENT.format(uid="UID:taken@p\r\n")
    plain_client.put(url, body, {"Content-Type": "text/calendar; charset=utf-8"})
    [result] = calendar.apply_writes(
        [RemoteWrite("create", "taken@p", event=sample_event("taken@p"))]
    )
    assert result.error is None and result.remote.remote_id.endswith("/chosen-by-the-app.ics")
    assert [r.platform_uid for r in listing(calendar).events] == ["taken@p"]


def test_an_object_stored_without_uid_is_listed_under_a_derived_uid(
    calendar, plain_client, dav_server
):
    url = str(calendar.calendar.url.join("no-uid.ics"))
    response = plain_client.put(url, APP_EVENT.format(uid=""), {"Content-Type": "text/calendar"})
    if isinstance(dav_server, RadicaleServer):
        assert response.status == 400  # Radicale refuses an object without UID
        return
    [listed] = listing(calendar).events  # Xandikos stores it as sent
    assert listed.platform_uid.endswith("@derived.ponton")
    assert listed.event.summary == "Rendez-vous"
