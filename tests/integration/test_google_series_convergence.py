"""The series state machine of ``test_series_convergence`` against the Google Calendar fake,
through google-api-python-client: occurrence-level edits made as Google Calendar makes them
(an exception instance, a cancelled stub, the master edited or deleted) on either side, and
interrupted syncs, always converge with nothing lost."""

from __future__ import annotations

import itertools
from datetime import UTC, timedelta

import pytest

from ponton.calendars.backends.google_mapping import event_id_for
from ponton.model import event_key
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.fakes.google_fixtures import google_backend_for
from tests.fakes.google_series import moment
from tests.integration.test_series_convergence import (
    SETTINGS,
    UID,
    Content,
    SeriesMachine,
    replay,
    week,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
MASTER_ID = event_id_for(UID)


def _span(start) -> dict:
    return {
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
    }


class GoogleRemote:
    """A calendar of the Google fake, edited as Google Calendar's own UI edits a series."""

    ids = itertools.count()
    fake: FakeGoogleCalendar

    def __init__(self) -> None:
        self.calendar_id = f"series-{next(self.ids)}@example.com"
        self.calendar = google_backend_for(self.fake, self.calendar_id)

    def put(self, n: int | None, content: Content) -> None:
        start, summary, status = content
        if n is None:
            self.fake.edit(self.calendar_id, MASTER_ID, summary=summary)
        elif status == "CANCELLED":
            self.fake.cancel_instance(self.calendar_id, MASTER_ID, _original(n))
        else:
            self.fake.move_instance(
                self.calendar_id,
                MASTER_ID,
                _original(n),
                **_span(start),
                summary=summary,
                status="confirmed",
            )

    def delete_series(self) -> None:
        events = self.calendar.service.events()
        events.delete(calendarId=self.calendar_id, eventId=MASTER_ID).execute()

    def snapshot(self) -> dict[str, Content]:
        stored = {i["id"]: i for i in self.fake.items(self.calendar_id, live=False)}
        master = stored.get(MASTER_ID)
        if master is None or master["status"] == "cancelled":
            return {}
        seen = {UID: (moment(master["start"]), master["summary"], "CONFIRMED")}
        for item in stored.values():
            if item.get("recurringEventId") != MASTER_ID:
                continue
            rid = moment(item["originalStartTime"])
            if item["status"] == "cancelled":
                seen[event_key(UID, rid)] = (rid, "", "CANCELLED")
            else:
                seen[event_key(UID, rid)] = (
                    moment(item["start"]),
                    item["summary"],
                    item["status"].upper(),
                )
        return seen


def _original(n: int) -> dict:
    return {"dateTime": week(n).astimezone(UTC).isoformat(), "timeZone": "UTC"}


class GoogleSeriesMachine(SeriesMachine):
    def open_remote(self):
        return GoogleRemote()

    def view(self, contents: dict[str, Content]) -> dict[str, Content]:
        """A cancelled instance is a stub in Google (id, series, original start): only its
        status is compared."""
        return {
            k: (None, "", s) if s == "CANCELLED" else (t, x, s) for k, (t, x, s) in contents.items()
        }


class RemoteWinsGoogleSeriesMachine(GoogleSeriesMachine):
    policy = "remote-wins"


@pytest.fixture(scope="module")
def google_fake_for_machines():
    with FakeGoogleCalendar(page_size=3) as fake:
        GoogleRemote.fake = fake
        yield fake


@pytest.mark.parametrize("machine", [GoogleSeriesMachine, RemoteWinsGoogleSeriesMachine])
def test_occurrence_edits_on_both_sides_converge_on_google(
    machine,
    machine_db,
    google_fake_for_machines,
):
    machine.db = machine_db
    case = machine.TestCase
    case.settings = SETTINGS
    case().runTest()


def test_an_override_equal_to_its_occurrence_stays_an_override(
    machine_db,
    google_fake_for_machines,
):
    """Found by the machine: an exception holding what the series gives that occurrence was
    read as no override at all, so the override the platform had just written was deleted."""
    GoogleSeriesMachine.db = machine_db
    replay(
        GoogleSeriesMachine,
        ("move_or_edit_one_occurrence", {"n": 0, "shift": 0, "side": "platform", "summary": "a"}),
        ("sync", {}),
    )
