"""Ana's own calendar, on every backend, holds a private appointment, an invitation she declined
and a free reminder; the next sync must make only the appointment busy time, with no text.

Each backend is fed in its own vendor format (ICS text, a CalDAV client against Radicale, Google
and Graph JSON in the fakes), so the privacy, response and free/busy fields are read as the real
calendars write them.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import caldav
import pytest
import sqlalchemy as sa

from ponton.context import RunContext
from ponton.ics.publish import publish_feeds
from ponton.journal import Journal
from ponton.mail.compose import compose
from ponton.mail.message import Address
from ponton.platform.schema import availability, conflicts, integration_journal, planning_events
from ponton.secrets import EnvConnectionResolver
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions
from ponton.sync.adapters import calendar_opener
from ponton.sync.bindings import add_binding
from ponton.sync.engine import run_sync
from tests.fakes.google_fixtures import CALENDAR
from tests.fakes.graph_fixtures import MAILBOX
from tests.fakes.radicale_server import RadicaleServer

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 16, 8, tzinfo=UTC)
ANA = "ana@example.com"
PRIVATE_MARK = {
    "caldav": "CLASS:PRIVATE",
    "google": "'visibility': 'private'",
    "outlook": "'sensitivity': 'private'",
}
SECRETS = ("oncologue", "Institut Curie", "dossier 42", "dr.martin@example.com")
# 17 March, UTC: the platform's workshop 09:00-10:00, the appointment 14:00-15:00.
WORKSHOP = ("20260317T090000Z", "20260317T100000Z")
APPOINTMENT = ("20260317T140000Z", "20260317T150000Z")

ICS = f"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//privacy//EN\r
BEGIN:VEVENT\r
UID:rdv@ana\r
DTSTAMP:20260301T000000Z\r
DTSTART:{APPOINTMENT[0]}\r
DTEND:{APPOINTMENT[1]}\r
SUMMARY:RDV oncologue (privé)\r
DESCRIPTION:dossier 42\r
LOCATION:Institut Curie\r
CLASS:PRIVATE\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:dr.martin@example.com\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:comite@corp\r
DTSTAMP:20260301T000000Z\r
DTSTART:{WORKSHOP[0]}\r
DTEND:{WORKSHOP[1]}\r
SUMMARY:Comité de direction\r
ORGANIZER:mailto:boss@example.com\r
ATTENDEE;PARTSTAT=DECLINED:mailto:{ANA}\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:pause@ana\r
DTSTAMP:20260301T000000Z\r
DTSTART:{WORKSHOP[0]}\r
DTEND:{WORKSHOP[1]}\r
SUMMARY:Pause café\r
TRANSP:TRANSPARENT\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _google_items():
    def when(value):
        return {"dateTime": datetime.strptime(value, "%Y%m%dT%H%M%SZ").isoformat() + "Z"}

    return [
        {
            "summary": "RDV oncologue (privé)",
            "description": "dossier 42",
            "location": "Institut Curie",
            "visibility": "private",
            "attendees": [{"email": "dr.martin@example.com", "responseStatus": "accepted"}],
            "start": when(APPOINTMENT[0]),
            "end": when(APPOINTMENT[1]),
        },
        {
            "summary": "Comité de direction",
            "attendees": [{"email": ANA, "self": True, "responseStatus": "declined"}],
            "start": when(WORKSHOP[0]),
            "end": when(WORKSHOP[1]),
        },
        {
            "summary": "Pause café",
            "transparency": "transparent",
            "start": when(WORKSHOP[0]),
            "end": when(WORKSHOP[1]),
        },
    ]


def _graph_items():
    def when(value):
        moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ")
        return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}

    return [
        {
            "subject": "RDV oncologue (privé)",
            "body": {"contentType": "text", "content": "dossier 42"},
            "location": {"displayName": "Institut Curie"},
            "sensitivity": "private",
            "start": when(APPOINTMENT[0]),
            "end": when(APPOINTMENT[1]),
        },
        {
            "subject": "Comité de direction",
            "responseStatus": {"response": "declined"},
            "start": when(WORKSHOP[0]),
            "end": when(WORKSHOP[1]),
        },
        {
            "subject": "Pause café",
            "showAs": "free",
            "start": when(WORKSHOP[0]),
            "end": when(WORKSHOP[1]),
        },
    ]


@pytest.fixture(scope="module")
def radicale():
    with RadicaleServer() as server:
        yield server


@pytest.fixture(params=["ics", "caldav", "google", "outlook"])
def ana_calendar(request, tmp_path, monkeypatch):
    """(provider, source, conn id, direction, remote view) with Ana's three events in it."""
    name = request.param
    if name == "ics":
        feed = tmp_path / "ana.ics"
        feed.write_text(ICS, newline="")
        return name, str(feed), None, "import", None
    if name == "caldav":
        server = request.getfixturevalue("radicale")
        client = caldav.DAVClient(server.url, username="ana", password="x", require_tls=False)
        made = client.principal().make_calendar(name="Ana", cal_id=f"ana-{uuid.uuid4().hex[:12]}")
        for block in ICS.split("BEGIN:VEVENT")[1:]:
            head = ICS.split("BEGIN:VEVENT")[0]
            made.save_event(
                head + "BEGIN:VEVENT" + block.split("END:VCALENDAR")[0] + "END:VCALENDAR\r\n"
            )
        monkeypatch.setenv(
            "AIRFLOW_CONN_ANA_DAV",
            json.dumps({"login": "ana", "password": "x", "extra": {"allow_hosts": "127.0.0.1"}}),
        )

        def remote():
            return [e.data for e in made.events()]

        return name, str(made.url), "ana_dav", "both", remote
    if name == "google":
        fake = request.getfixturevalue("google_fake")
        for item in _google_items():
            fake.add_foreign(CALENDAR, item)
        return (
            name,
            CALENDAR,
            request.getfixturevalue("google_conn"),
            "both",
            lambda: fake.items(CALENDAR),
        )
    fake = request.getfixturevalue("graph_fake")
    for item in _graph_items():
        fake.add_foreign(MAILBOX, item)
    return (
        name,
        MAILBOX,
        request.getfixturevalue("outlook_conn"),
        "both",
        lambda: fake.events(MAILBOX),
    )


def _bind(db, provider, source, conn_id, direction):
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "insert into resources (key, name, email, timezone, kind, created_at) "
                "values ('ana', 'Ana', :email, 'Europe/Paris', 'person', :now)"
            ),
            {"email": ANA, "now": NOW},
        )
    binding = add_binding(
        db,
        provider=provider,
        source=source,
        resource="ana",
        direction=direction,
        conn_id=conn_id,
        options={"retry_max_seconds": 0.2},
    )
    with db.begin() as conn:
        rid = conn.execute(sa.text("select id from resources where key = 'ana'")).scalar_one()
        for uid, summary, start, end, privacy in (
            ("atelier@platform", "Atelier béton", WORKSHOP[0], WORKSHOP[1], "public"),
            (
                "bilan@platform",
                "Bilan oncologue",
                "20260318T090000Z",
                "20260318T100000Z",
                "private",
            ),
        ):
            conn.execute(
                planning_events.insert().values(
                    uid=uid,
                    resource_id=rid,
                    summary=summary,
                    description="dossier 42" if privacy == "private" else "",
                    start_at=datetime.strptime(start, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC),
                    end_at=datetime.strptime(end, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC),
                    timezone="Europe/Paris",
                    privacy=privacy,
                )
            )
    return binding


def _leaks_out(db, folder) -> list[str]:
    """What of the secrets reaches the published feeds or Ana's weekly mail."""
    publish_feeds(
        db, [LocalFolderStorage(options=LocalOptions(root=folder / "storage"))], Journal(db), NOW
    )
    texts = [p.read_text() for p in (folder / "storage").rglob("*") if p.is_file()]
    row = {
        "id": 1,
        "to_recipients": [{"email": ANA, "name": "Ana"}],
        "subject": "Votre planning",
        "template": "weekly_planning",
        "context": {"week": "2026-03-16", "person": "ana"},
        "body_text": None,
        "body_html": None,
        "attachments": None,
        "created_at": None,
    }
    with db.engine.connect() as conn:
        mail = compose(row, Address("planning@ponton.example"), conn)
    texts += [mail.text, mail.html or ""]
    return [s for s in SECRETS for text in texts if s in text]


def test_only_the_private_appointment_blocks_and_it_carries_no_text(
    platform_db, ana_calendar, tmp_path
):
    provider, source, conn_id, direction, remote = ana_calendar
    binding = _bind(platform_db, provider, source, conn_id, direction)
    journal = Journal(platform_db, RunContext("test", "r", "t"))
    opener = calendar_opener(resolver=EnvConnectionResolver())

    summary = run_sync(platform_db, binding, opener, journal=journal, now=NOW)
    again = run_sync(platform_db, binding, opener, journal=journal, now=NOW)

    with platform_db.engine.connect() as conn:
        blocks = conn.execute(sa.select(availability)).mappings().all()
        bookings = conn.execute(
            sa.select(conflicts).where(conflicts.c.kind == "double_booking")
        ).all()
        journal_rows = conn.execute(sa.select(integration_journal.c.details)).scalars().all()
    assert [(b["start_at"], b["end_at"], b["note"]) for b in blocks] == [
        (datetime(2026, 3, 17, 14, tzinfo=UTC), datetime(2026, 3, 17, 15, tzinfo=UTC), None)
    ]
    assert bookings == []  # the declined and the free events overlap the workshop: no conflict
    assert summary["double_bookings"] == 0 and again["busy_blocks"] == 0
    written = json.dumps(journal_rows, ensure_ascii=False)
    assert not [s for s in SECRETS if s in written]
    assert not _leaks_out(platform_db, tmp_path)
    if remote is not None:  # a private platform event goes out private, with its text
        (bilan,) = [e for e in map(str, remote()) if "Bilan oncologue" in e]
        assert PRIVATE_MARK[provider] in bilan


def test_a_title_stored_before_privacy_was_read_is_wiped_at_the_next_sync(platform_db, tmp_path):
    """Busy blocks written by an older ponton kept a private event's title; its content hash then
    lacked the privacy, so the next sync sees the event as changed and rewrites its block."""
    from dataclasses import replace

    from ponton.ics import parse_calendar
    from ponton.platform.schema import foreign_events

    feed = tmp_path / "ana.ics"
    feed.write_text(ICS, newline="")
    binding = _bind(platform_db, "ics", str(feed), None, "import")
    (private,) = [e for e in parse_calendar(ICS.encode()).events if e.uid == "rdv@ana"]
    with platform_db.begin() as conn:
        rid = conn.execute(sa.text("select id from resources where key = 'ana'")).scalar_one()
        conn.execute(
            foreign_events.insert().values(
                binding_id=binding,
                remote_id="rdv@ana",
                content_hash=replace(private, privacy="PUBLIC").content_hash(),
                seen_at=NOW,
            )
        )
        conn.execute(
            availability.insert().values(
                resource_id=rid,
                binding_id=binding,
                source_uid="rdv@ana",
                start_at=private.start,
                end_at=private.end,
                origin=f"binding:{binding}",
                note=private.summary,
            )
        )
    journal = Journal(platform_db, RunContext("test", "r", "t"))
    run_sync(platform_db, binding, calendar_opener(None), journal=journal, now=NOW)
    with platform_db.engine.connect() as conn:
        notes = conn.execute(sa.select(availability.c.note)).scalars().all()
    assert notes == [None]


SERIES = f"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//privacy//EN\r
BEGIN:VEVENT\r
UID:kine@ana\r
DTSTAMP:20260301T000000Z\r
DTSTART:20260317T170000Z\r
DTEND:20260317T180000Z\r
RRULE:FREQ=WEEKLY;COUNT=3\r
SUMMARY:Kiné (privé)\r
CLASS:PRIVATE\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:kine@ana\r
DTSTAMP:20260301T000000Z\r
RECURRENCE-ID:20260324T170000Z\r
DTSTART:20260324T170000Z\r
DTEND:20260324T180000Z\r
SUMMARY:Kiné (privé) — annulé côté cabinet, gardé libre\r
CLASS:PRIVATE\r
TRANSP:TRANSPARENT\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:copil@corp\r
DTSTAMP:20260301T000000Z\r
DTSTART:20260318T080000Z\r
DTEND:20260318T090000Z\r
RRULE:FREQ=WEEKLY;COUNT=2\r
SUMMARY:Copil\r
ATTENDEE;PARTSTAT=DECLINED:mailto:{ANA}\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:copil@corp\r
DTSTAMP:20260301T000000Z\r
RECURRENCE-ID:20260325T080000Z\r
DTSTART:20260325T080000Z\r
DTEND:20260325T090000Z\r
SUMMARY:Copil\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:{ANA}\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_series_are_filtered_per_occurrence_after_their_overrides_apply(platform_db, tmp_path):
    """A private weekly series with one occurrence turned free, and a declined series with one
    occurrence accepted: each occurrence blocks according to its own component."""
    feed = tmp_path / "ana.ics"
    feed.write_text(SERIES, newline="")
    binding = _bind(platform_db, "ics", str(feed), None, "import")
    journal = Journal(platform_db, RunContext("test", "r", "t"))
    run_sync(platform_db, binding, calendar_opener(None), journal=journal, now=NOW)
    with platform_db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(availability.c.start_at, availability.c.note).order_by(
                availability.c.start_at
            )
        ).all()
    assert [(r.start_at.day, r.start_at.hour, r.note) for r in rows] == [
        (17, 17, None),  # private: anonymous
        (25, 8, "Copil"),  # the one accepted occurrence of the declined series
        (31, 17, None),  # the 24th was made free
    ]
