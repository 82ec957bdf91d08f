"""A weekly platform series with one occurrence moved and one cancelled, on either side: on a
real Radicale (CalDAV, both ways) and through ICS feeds served over loopback HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import caldav
import icalendar
import pytest
import sqlalchemy as sa

from ponton.calendars.backends.caldav import CalDavCalendar
from ponton.calendars.backends.ics import IcsFeedCalendar
from ponton.context import RunContext
from ponton.ics.feeds import FeedOptions
from ponton.ics.publish import publish_feeds
from ponton.journal import Journal
from ponton.model import moment_key
from ponton.platform.schema import availability, conflicts, planning_events, resources
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions
from ponton.sync.bindings import add_binding
from ponton.sync.engine import run_sync
from tests.fakes.ics_server import IcsServer
from tests.fakes.radicale_server import RadicaleServer

pytestmark = pytest.mark.integration
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 16, 8, tzinfo=UTC)
FIRST = datetime(2026, 3, 23, 9, tzinfo=PARIS)
UID = "weekly@ponton"


def week(n: int, hours: int = 0) -> datetime:
    return FIRST + timedelta(weeks=n, hours=hours)


def add_series(db) -> int:
    with db.begin() as conn:
        rid = conn.execute(
            resources.insert()
            .values(key="ana", name="Ana", timezone="Europe/Paris")
            .returning(resources.c.id)
        ).scalar_one()
        conn.execute(
            planning_events.insert().values(
                uid=UID,
                resource_id=rid,
                summary="Weekly review",
                start_at=FIRST,
                end_at=FIRST + timedelta(hours=1),
                timezone="Europe/Paris",
                recurrence="RRULE:FREQ=WEEKLY;COUNT=10",
            )
        )
    return rid


def add_override(db, n: int, *, hours: int = 0, status: str = "confirmed") -> None:
    with db.begin() as conn:
        rid = conn.execute(sa.select(resources.c.id).where(resources.c.key == "ana")).scalar()
        conn.execute(
            planning_events.insert().values(
                uid=UID,
                recurrence_id=moment_key(week(n)),
                resource_id=rid,
                summary="Weekly review",
                start_at=week(n, hours),
                end_at=week(n, hours + 1),
                timezone="Europe/Paris",
                status=status,
            )
        )


def series_rows(db) -> dict[str, dict]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(planning_events).where(
                planning_events.c.uid == UID, planning_events.c.deleted_at.is_(None)
            )
        ).mappings()
        return {r["recurrence_id"]: dict(r) for r in rows}


def writes(result: dict) -> int:
    keys = ("created", "updated", "deleted", "remote_created", "remote_updated")
    return sum(result[k] for k in (*keys, "remote_deleted", "platform_updated", "busy_blocks"))


class Sync:
    def __init__(self, db, binding: int, calendar) -> None:
        self.db, self.binding, self.calendar = db, binding, calendar
        self.journal = Journal(db, RunContext())

    def __call__(self) -> dict:
        return run_sync(
            self.db, self.binding, lambda b: self.calendar, journal=self.journal, now=NOW
        )


def pushed(db, calendar, *, provider: str, source: str, **options) -> Sync:
    """The weekly series added to ``db`` and pushed to ``calendar`` by a first two-way sync."""
    add_series(db)
    binding = add_binding(
        db,
        provider=provider,
        source=source,
        resource="ana",
        direction="both",
        options=options or None,
    )
    sync = Sync(db, binding, calendar)
    assert sync()["remote_created"] == 1
    return sync


# -- CalDAV on Radicale ---------------------------------------------------------------------


@pytest.fixture
def radicale(platform_db):
    add_series(platform_db)
    with RadicaleServer() as server:
        client = caldav.DAVClient(server.url, username="ana", password="x", require_tls=False)
        made = client.principal().make_calendar(name="Ana", cal_id="ana")
        binding = add_binding(
            platform_db, provider="caldav", source=str(made.url), resource="ana", direction="both"
        )
        yield platform_db, made, Sync(platform_db, binding, CalDavCalendar(made))


def components(made) -> dict[str, icalendar.Component]:
    """The series' components as a CalDAV client reads them, by recurrence id ("" = master)."""
    data = made.object_by_uid(UID).data
    return {
        moment_key(c["RECURRENCE-ID"].dt) if "RECURRENCE-ID" in c else "": c
        for c in icalendar.Calendar.from_ical(data).walk("VEVENT")
    }


def client_edit(made, edit) -> None:
    """Edit the stored object as a CalDAV client does: read, change, PUT it back."""
    obj = made.object_by_uid(UID)
    calendar = icalendar.Calendar.from_ical(obj.data)
    edit(calendar)
    obj.data = calendar.to_ical().decode()
    obj.save()


def move_second_and_cancel_third(calendar: icalendar.Calendar) -> None:
    master = next(c for c in calendar.walk("VEVENT") if "RECURRENCE-ID" not in c)
    master.add("EXDATE", week(2))  # how Thunderbird and Apple Calendar delete one occurrence
    moved = icalendar.Event()
    for name in ("UID", "SUMMARY", "DTSTAMP"):
        moved.add(name, master[name])
    moved.add("RECURRENCE-ID", week(1))
    moved.add("DTSTART", week(1, 2))
    moved.add("DTEND", week(1, 3))
    moved.add("SEQUENCE", 1)
    calendar.add_component(moved)


def test_occurrence_moved_and_cancelled_in_a_caldav_client_reach_the_platform(radicale):
    db, made, sync = radicale
    assert sync()["remote_created"] == 1
    client_edit(made, move_second_and_cancel_third)
    result = sync()
    assert result["platform_updated"] == 2 and result["remote_updated"] == 0
    rows = series_rows(db)
    assert sorted(rows) == ["", moment_key(week(1))]
    assert f"EXDATE:{moment_key(week(2))}" in rows[""]["recurrence"].splitlines()
    moved = rows[moment_key(week(1))]
    assert (moved["start_at"], moved["end_at"]) == (week(1, 2), week(1, 3))
    assert moved["status"] == "confirmed" and rows[""]["summary"] == "Weekly review"
    assert writes(sync()) == 0


def test_double_booking_only_for_the_moved_occurrences_new_slot(radicale):
    db, made, sync = radicale
    sync()
    client_edit(made, move_second_and_cancel_third)
    for name, at in (("new-slot", week(1, 2)), ("old-slot", week(1)), ("cancelled", week(2))):
        made.save_event(
            f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\nUID:{name}\n"
            f"DTSTAMP:20260301T000000Z\nDTSTART:{moment_key(at)}\n"
            f"DTEND:{moment_key(at + timedelta(minutes=30))}\nSUMMARY:{name}\nEND:VEVENT\n"
            "END:VCALENDAR\n"
        )
    result = sync()
    assert result["double_bookings"] == 1
    with db.engine.connect() as conn:
        booked = conn.execute(
            sa.select(conflicts.c.platform_uid, conflicts.c.remote_version).where(
                conflicts.c.kind == "double_booking"
            )
        ).one()
    assert booked.platform_uid == f"{UID}#{moment_key(week(1))}"
    assert booked.remote_version["start"] == week(1, 2).astimezone(UTC).isoformat()
    assert writes(sync()) == 0


def test_occurrence_moved_and_cancelled_on_the_platform_reach_the_caldav_server(radicale):
    db, made, sync = radicale
    sync()
    client_edit(made, move_second_and_cancel_third)
    sync()
    add_override(db, 4, hours=3)
    add_override(db, 5, status="cancelled")
    result = sync()
    assert result["remote_created"] == 2 and result["remote_updated"] == 0
    stored = components(made)
    assert sorted(stored) == sorted(["", *(moment_key(week(n)) for n in (1, 4, 5))])
    assert stored[moment_key(week(4))].start == week(4, 3)
    assert str(stored[moment_key(week(5))]["STATUS"]) == "CANCELLED"
    assert stored[moment_key(week(1))].start == week(1, 2)  # the client's override is kept
    assert writes(sync()) == 0


def test_series_edit_on_the_platform_keeps_overrides_and_bumps_sequence_on_the_server(radicale):
    db, made, sync = radicale
    sync()
    client_edit(made, move_second_and_cancel_third)
    sync()
    before = int(components(made)[""]["SEQUENCE"])
    with db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.uid == UID, planning_events.c.recurrence_id == "")
            .values(summary="Weekly review (room 4)")
        )
    assert sync()["remote_updated"] == 1
    stored = components(made)
    assert str(stored[""]["SUMMARY"]) == "Weekly review (room 4)"
    assert int(stored[""]["SEQUENCE"]) > before  # ponton bumps what it publishes changed
    assert stored[moment_key(week(1))].start == week(1, 2)
    assert series_rows(db)[moment_key(week(1))]["summary"] == "Weekly review"
    assert writes(sync()) == 0


# -- ICS feeds over loopback HTTP -----------------------------------------------------------

GOOGLE_STYLE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
X-WR-TIMEZONE:Europe/Paris
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260316T000000Z
DTSTART;TZID=Europe/Paris:20260323T090000
DTEND;TZID=Europe/Paris:20260323T100000
RRULE:FREQ=WEEKLY;COUNT=10
SUMMARY:Weekly review
SEQUENCE:0
END:VEVENT
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260316T000000Z
RECURRENCE-ID;TZID=Europe/Paris:20260330T090000
DTSTART;TZID=Europe/Paris:20260330T110000
DTEND;TZID=Europe/Paris:20260330T120000
SUMMARY:Weekly review
SEQUENCE:1
END:VEVENT
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20260316T000000Z
RECURRENCE-ID;TZID=Europe/Paris:20260406T090000
DTSTART;TZID=Europe/Paris:20260406T090000
DTEND;TZID=Europe/Paris:20260406T100000
SUMMARY:Weekly review
STATUS:CANCELLED
SEQUENCE:1
END:VEVENT
END:VCALENDAR
"""


def feed(server: IcsServer, path: str, body: str | bytes) -> IcsFeedCalendar:
    url = server.publish(path, body.encode() if isinstance(body, str) else body)
    return IcsFeedCalendar(url, options=FeedOptions(allow_hosts=("127.0.0.1",)))


def test_google_style_feed_gives_the_platform_exactly_its_two_exceptions(platform_db):
    add_series(platform_db)
    binding = add_binding(platform_db, provider="ics", source="feed", resource="ana")
    with IcsServer() as server:
        sync = Sync(platform_db, binding, feed(server, "/ana.ics", GOOGLE_STYLE.format(uid=UID)))
        result = sync()
        assert result["platform_updated"] == 2 and result["busy_blocks"] == 0
        rows = series_rows(platform_db)
        assert sorted(rows) == ["", moment_key(week(1)), moment_key(week(2))]
        assert rows[moment_key(week(1))]["start_at"] == week(1, 2)
        assert rows[moment_key(week(2))]["status"] == "cancelled"
        assert rows[""]["recurrence"] == "RRULE:FREQ=WEEKLY;COUNT=10"
        assert writes(sync()) == 0


def test_foreign_google_style_feed_is_busy_at_the_moved_time_and_free_when_cancelled(platform_db):
    add_series(platform_db)
    binding = add_binding(platform_db, provider="ics", source="feed", resource="ana")
    with IcsServer() as server:
        body = GOOGLE_STYLE.format(uid="stranger@google.com")
        result = Sync(platform_db, binding, feed(server, "/ana.ics", body))()
    assert result["busy_blocks"] == 9 and result["foreign_created"] == 3
    with platform_db.engine.connect() as conn:
        starts = set(conn.execute(sa.select(availability.c.start_at)).scalars())
    assert week(1, 2) in starts and week(1) not in starts and week(2) not in starts
    # Every other occurrence overlaps the platform series; the moved and cancelled ones do not.
    assert result["double_bookings"] == 8


def test_platform_exceptions_are_published_and_a_subscriber_sees_them(platform_db, tmp_path):
    add_series(platform_db)
    add_override(platform_db, 1, hours=2)
    add_override(platform_db, 2, status="cancelled")
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path))
    publish_feeds(platform_db, [storage], Journal(platform_db, RunContext()), NOW)
    published = (tmp_path / "feeds/resources/ana.ics").read_bytes()
    with platform_db.begin() as conn:
        conn.execute(resources.insert().values(key="bob", name="Bob", timezone="Europe/Paris"))
    binding = add_binding(platform_db, provider="ics", source="feed", resource="bob")
    with IcsServer() as server:
        result = Sync(platform_db, binding, feed(server, "/ana.ics", published))()
    assert result["busy_blocks"] == 9
    with platform_db.engine.connect() as conn:
        bob = conn.execute(sa.select(resources.c.id).where(resources.c.key == "bob")).scalar()
        starts = set(
            conn.execute(
                sa.select(availability.c.start_at).where(availability.c.resource_id == bob)
            ).scalars()
        )
    assert week(1, 2) in starts and week(1) not in starts and week(2) not in starts


def test_publish_bumps_sequence_only_for_a_changed_version(platform_db, tmp_path):
    add_series(platform_db)
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path))
    journal = Journal(platform_db, RunContext())
    path = tmp_path / "feeds/resources/ana.ics"

    def published_sequence() -> int:
        publish_feeds(platform_db, [storage], journal, NOW)
        (master,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
        return int(master["SEQUENCE"])

    first = published_sequence()
    assert published_sequence() == first
    with platform_db.begin() as conn:
        conn.execute(planning_events.update().values(location="Room 4"))
    assert published_sequence() == first + 1
    assert published_sequence() == first + 1


def test_private_foreign_series_blocks_anonymously_with_its_exceptions_applied(platform_db):
    add_series(platform_db)
    binding = add_binding(platform_db, provider="ics", source="feed", resource="ana")
    body = GOOGLE_STYLE.format(uid="stranger@google.com").replace(
        "SUMMARY:Weekly review\n", "SUMMARY:Weekly review\nCLASS:PRIVATE\n"
    )
    with IcsServer() as server:
        result = Sync(platform_db, binding, feed(server, "/ana.ics", body))()
    assert result["busy_blocks"] == 9
    with platform_db.engine.connect() as conn:
        blocks = conn.execute(sa.select(availability.c.start_at, availability.c.note)).all()
    assert {note for _, note in blocks} == {None}
    assert week(1, 2) in {start for start, _ in blocks} and week(2) not in {s for s, _ in blocks}
