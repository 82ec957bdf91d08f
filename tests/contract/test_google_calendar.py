"""The Google Calendar backend passes the remote-calendar contract against the loopback fake,
driven through google-api-python-client with its endpoint pointed at the fake; built directly, and
once through the hook."""

import pytest

from tests.contract.remote_calendar import WritableCalendarContract
from tests.fakes.google_fixtures import CALENDAR

pytestmark = pytest.mark.contract


@pytest.fixture
def calendar(google_backend):
    return google_backend


@pytest.fixture
def from_connection(google_calendar):
    return google_calendar


@pytest.fixture
def edit_remotely(google_fake):
    def edit(calendar, remote_id, summary):
        google_fake.edit(CALENDAR, remote_id, summary=summary)

    return edit


class TestGoogleCalendar(WritableCalendarContract):
    pass
