"""A private appointment in Ana's planning, and an imported private event as a busy block: what
ponton writes out (feeds, free/busy, roadmap PDF, mail, journal) shows that she is busy, never
what for. The availability feeds are read back by a second, independent parser (vobject)."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import icalendar
import pytest
import sqlalchemy as sa
import vobject
from pypdf import PdfReader

from ponton.context import RunContext
from ponton.demo.seed import seed
from ponton.documents.render import render_pdf
from ponton.documents.roadmap import Edition, load_roadmap
from ponton.ics.publish import publish_feeds
from ponton.journal import Journal
from ponton.mail.compose import compose
from ponton.mail.message import Address
from ponton.platform.schema import integration_journal, notifications, planning_events
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 16, 7, tzinfo=UTC)
PRIVATE_UID = "M-2026-014-w0-ana.martin@demo.ponton"
SECRETS = ("oncologue", "Institut Curie", "dossier 42")


@pytest.fixture
def private_planning(platform_db):
    """The demo, with Ana's first mission workshop turned into a private appointment."""
    seed(platform_db, date(2026, 3, 16))
    with platform_db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.uid == PRIVATE_UID)
            .values(
                summary="RDV oncologue (privé)",
                description="dossier 42",
                location="Institut Curie",
                privacy="private",
            )
        )
    return platform_db


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_feeds_show_a_private_event_as_busy_and_nothing_else(private_planning, tmp_path):
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path))
    publish_feeds(private_planning, [storage], Journal(private_planning), NOW)
    files = {
        p.relative_to(tmp_path).as_posix(): p.read_bytes()
        for p in tmp_path.rglob("*")
        if p.is_file()
    }
    assert {"feeds/freebusy/ana.martin.ifb", "feeds/busy/ana.martin.ics"} <= set(files)
    assert not [key for key, data in files.items() if _leaks(data.decode())]
    resource = icalendar.Calendar.from_ical(files["feeds/resources/ana.martin.ics"])
    (private,) = [e for e in resource.walk("VEVENT") if str(e["UID"]) == PRIVATE_UID]
    assert (str(private["SUMMARY"]), str(private["CLASS"])) == ("Busy", "PRIVATE")
    assert "LOCATION" not in private and "DESCRIPTION" not in private
    with private_planning.engine.connect() as conn:
        journal = conn.execute(sa.select(integration_journal.c.details)).scalars().all()
    assert not _leaks(json.dumps(journal, ensure_ascii=False))


def test_free_busy_feed_is_valid_rfc5545_for_an_independent_parser(private_planning, tmp_path):
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path))
    publish_feeds(private_planning, [storage], Journal(private_planning), NOW)
    text = (tmp_path / "feeds/freebusy/ana.martin.ifb").read_text()
    parsed = vobject.readOne(text)
    (busy,) = parsed.vfreebusy_list
    periods = [p for line in busy.contents["freebusy"] for p in line.value]
    assert busy.uid.value and busy.dtstamp.value
    assert all(line.params["FBTYPE"] == ["BUSY"] for line in busy.contents["freebusy"])
    assert all(
        start.tzinfo is not None and start.utcoffset().total_seconds() == 0 for start, _ in periods
    )
    with private_planning.engine.connect() as conn:
        query = sa.select(planning_events.c.start_at).where(planning_events.c.uid == PRIVATE_UID)
        private_start = conn.execute(query).scalar_one()
    assert any(start <= private_start < end for start, end in periods)  # busy, not hidden
    assert [s for s, _ in periods] == sorted(s for s, _ in periods)


def test_busy_only_feed_holds_events_with_nothing_but_time(private_planning, tmp_path):
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path))
    publish_feeds(private_planning, [storage], Journal(private_planning), NOW)
    parsed = vobject.readOne((tmp_path / "feeds/busy/ana.martin.ics").read_text())
    events = parsed.vevent_list
    assert events
    for event in events:
        assert event.summary.value == "Busy" and event.contents["class"][0].value == "PRIVATE"
        assert not {"location", "description", "attendee", "organizer"} & set(event.contents)
        assert event.dtstart.value < event.dtend.value


def test_unchanged_planning_uploads_no_availability_feed_again(private_planning, tmp_path):
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path))
    publish_feeds(private_planning, [storage], Journal(private_planning), NOW)
    again = publish_feeds(private_planning, [storage], Journal(private_planning), NOW)
    assert {r.outcome for r in again} == {"unchanged"}


def test_roadmap_pdf_shows_the_private_workshop_as_unavailability(private_planning):
    pdf = render_pdf(
        load_roadmap(private_planning, "M-2026-014"), edition=Edition(1, date(2026, 3, 9))
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert not _leaks(text)
    assert "Indisponible" in text


def test_weekly_mail_shows_the_private_appointment_as_busy(private_planning):
    sender = Address("planning@ponton.example", "Planning ponton")
    with private_planning.engine.connect() as conn:
        row = (
            conn.execute(
                sa.select(notifications).where(
                    notifications.c.context["person"].as_string() == "ana.martin"
                )
            )
            .mappings()
            .first()
        )
        message = compose(dict(row), sender, conn)
    assert not _leaks(message.text) and not _leaks(message.html or "")
    assert "Occupé" in message.text


def test_journal_of_an_import_keeps_a_private_remote_edit_out(private_planning, tmp_path):
    """A remote edit of a private platform event comes back into planning: the journal row of
    that update holds no text of it."""
    from ponton.ics.export import export_calendar
    from ponton.platform.planning import row_to_event
    from ponton.sync.adapters import calendar_opener
    from ponton.sync.bindings import add_binding
    from ponton.sync.engine import run_sync

    with private_planning.engine.connect() as conn:
        row = (
            conn.execute(sa.select(planning_events).where(planning_events.c.uid == PRIVATE_UID))
            .mappings()
            .one()
        )
    event = row_to_event(row)
    feed = tmp_path / "ana.ics"
    feed.write_bytes(export_calendar([event], "Ana"))
    binding = add_binding(private_planning, provider="ics", source=str(feed), resource="ana.martin")
    journal = Journal(private_planning, RunContext("test", "r", "t"))
    run_sync(private_planning, binding, calendar_opener(None), journal=journal, now=NOW)
    from dataclasses import replace

    feed.write_bytes(export_calendar([replace(event, location="Institut Curie, bât. B")], "Ana"))
    result = run_sync(private_planning, binding, calendar_opener(None), journal=journal, now=NOW)
    assert result["platform_updated"] == 1
    with private_planning.engine.connect() as conn:
        journal_rows = conn.execute(sa.select(integration_journal.c.details)).scalars().all()
    assert not _leaks(json.dumps(journal_rows, ensure_ascii=False))
