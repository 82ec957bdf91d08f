"""The owner's answer to an invitation decides whether it blocks time: declined never does,
tentative does unless the binding says ``"tentative": "free"`` (Google and Outlook)."""

import pytest
import sqlalchemy as sa

from ponton.platform.schema import availability
from ponton.sync.adapters import calendar_opener
from ponton.sync.engine import run_sync
from tests.fakes.google_fixtures import CALENDAR
from tests.fakes.graph_fixtures import MAILBOX
from tests.integration.test_calendar_api_sync import NOW, bind_with_planning

pytestmark = pytest.mark.integration
ANSWERS = ("accepted", "declined", "tentative")


def google_invitations(fake):
    """Three invitations to the calendar's owner (the attendee Google marks ``self``)."""
    for answer in ANSWERS:
        fake.add_foreign(
            CALENDAR,
            {
                "summary": f"invited ({answer})",
                "start": {"dateTime": "2026-03-18T10:00:00+01:00", "timeZone": "Europe/Paris"},
                "end": {"dateTime": "2026-03-18T11:00:00+01:00", "timeZone": "Europe/Paris"},
                "organizer": {"email": "boss@example.com"},
                "attendees": [
                    {"email": "boss@example.com", "organizer": True, "responseStatus": "accepted"},
                    {"email": CALENDAR, "self": True, "responseStatus": answer},
                ],
            },
        )


def graph_invitations(fake):
    """The same in Outlook: the mailbox's own answer is the event's ``responseStatus``."""
    graph_answer = {
        "accepted": "accepted",
        "declined": "declined",
        "tentative": "tentativelyAccepted",
    }
    for answer in ANSWERS:
        fake._create(
            MAILBOX,
            {
                "subject": f"invited ({answer})",
                "start": {"dateTime": "2026-03-18T10:00:00.0000000", "timeZone": "UTC"},
                "end": {"dateTime": "2026-03-18T11:00:00.0000000", "timeZone": "UTC"},
                "showAs": "tentative" if answer == "tentative" else "busy",
                "responseStatus": {"response": graph_answer[answer]},
            },
        )


def blocked(db):
    with db.engine.connect() as conn:
        return sorted(conn.execute(sa.select(availability.c.note)).scalars())


@pytest.mark.parametrize("tentative", ["busy", "free"])
@pytest.mark.parametrize("name", ["google", "outlook"])
def test_declined_invitations_never_block_time(platform_db, request, name, tentative):
    if name == "google":
        fake, source, conn_id = request.getfixturevalue("google_fake"), CALENDAR, "google_conn"
        google_invitations(fake)
    else:
        fake, source, conn_id = request.getfixturevalue("graph_fake"), MAILBOX, "outlook_conn"
        graph_invitations(fake)
    binding, journal = bind_with_planning(
        platform_db, name, source, request.getfixturevalue(conn_id), tentative=tentative
    )
    run_sync(platform_db, binding, calendar_opener(None), journal=journal, now=NOW)
    expected = ["invited (accepted)"] + (["invited (tentative)"] if tentative == "busy" else [])
    assert blocked(platform_db) == expected
