"""Outlook edits come back as the user left them: Graph answers UTC and HTML unless asked, so
ponton asks for UTC and text on every read and restores the zone the event was created in; an
event in any Windows zone syncs, and an unknown zone never blocks the binding."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ponton.journal import Journal
from ponton.platform.schema import availability, planning_events
from ponton.sync.adapters import calendar_opener
from ponton.sync.engine import run_sync
from tests.fakes.graph_fixtures import MAILBOX
from tests.integration.test_calendar_api_sync import NOW, bind_with_planning

pytestmark = pytest.mark.integration
AGENDA = "Ordre du jour:\n1. relevés & métrés\n2. <suite>"


def planning_row(db, uid="p1@platform"):
    with db.engine.connect() as conn:
        query = sa.select(planning_events).where(planning_events.c.uid == uid)
        return conn.execute(query).mappings().one()


def sync(db, binding, journal):
    return run_sync(db, binding, calendar_opener(None), journal=journal, now=NOW)


def test_an_outlook_edit_keeps_the_paris_zone_and_the_plain_text_agenda(
    platform_db, outlook_conn, graph_fake
):
    binding, journal = bind_with_planning(platform_db, "outlook", MAILBOX, outlook_conn)
    with platform_db.begin() as conn:
        conn.execute(planning_events.update().values(description=AGENDA))
    assert sync(platform_db, binding, journal)["remote_created"] == 1
    (stored,) = graph_fake.events(MAILBOX)
    assert stored["originalStartTimeZone"] == "Romance Standard Time"

    graph_fake.edit(MAILBOX, stored["id"], subject="Atelier (salle B)")  # saved back as HTML
    result = sync(platform_db, binding, journal)
    assert result["platform_updated"] == 1
    row = planning_row(platform_db)
    assert (row["summary"], row["timezone"], row["description"]) == (
        "Atelier (salle B)",
        "Europe/Paris",
        AGENDA,
    )
    assert sync(platform_db, binding, journal)["platform_updated"] == 0  # settled, no drift


def person_creates(graph_fake, zone, subject):
    """A person books an event in Outlook in ``zone`` (a Windows name), at 10:00 local."""
    return graph_fake._create(
        MAILBOX,
        {
            "subject": subject,
            "start": {"dateTime": "2026-03-18T10:00:00.0000000", "timeZone": zone},
            "end": {"dateTime": "2026-03-18T11:00:00.0000000", "timeZone": zone},
            "body": {"contentType": "html", "content": "<p>private</p>"},
        },
    )


def busy_blocks(db):
    with db.engine.connect() as conn:
        return conn.execute(sa.select(availability)).mappings().all()


def test_an_event_in_an_uncommon_windows_zone_becomes_a_busy_block(
    platform_db, outlook_conn, graph_fake
):
    binding, journal = bind_with_planning(platform_db, "outlook", MAILBOX, outlook_conn)
    person_creates(graph_fake, "Cen. Australia Standard Time", "Adelaide call")
    result = sync(platform_db, binding, journal)
    assert result["foreign_created"] == 1 and result["rejected"] == 0
    (block,) = busy_blocks(platform_db)
    assert block["start_at"] == datetime(2026, 3, 17, 23, 30, tzinfo=UTC)  # 10:00 ACDT


def test_an_unknown_zone_keeps_the_event_in_utc_and_warns_in_the_journal(
    platform_db, outlook_conn, graph_fake
):
    binding, journal = bind_with_planning(platform_db, "outlook", MAILBOX, outlook_conn)
    created = person_creates(graph_fake, "UTC", "Legacy custom zone")[2]
    graph_fake.mailboxes[MAILBOX][created["id"]].item["originalStartTimeZone"] = (
        "tzone://Microsoft/Custom"
    )
    result = sync(platform_db, binding, journal)
    assert result["foreign_created"] == 1 and result["rejected"] == 1
    assert result["remote_created"] == 1  # the rest of the binding synced on
    entries = Journal(platform_db).tail(integration="calendar")
    (warning,) = [e for e in entries if e.action == "rejected_components"]
    assert "tzone://Microsoft/Custom" in str(warning.details) and "UTC" in str(warning.details)
