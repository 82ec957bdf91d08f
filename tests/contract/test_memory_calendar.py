"""The reference adapter passes the contract, so the contract itself is consistent."""

import pytest

from tests.contract.remote_calendar import WritableCalendarContract
from tests.fakes.memory_calendar import MemoryCalendar

pytestmark = pytest.mark.contract


@pytest.fixture
def calendar():
    return MemoryCalendar()


@pytest.fixture
def from_connection():
    return None


@pytest.fixture
def edit_remotely():
    def edit(calendar, remote_id, summary):
        calendar.edit(remote_id, summary=summary)

    return edit


class TestMemoryCalendar(WritableCalendarContract):
    pass
