"""The Outlook backend passes the remote-calendar contract against the loopback Graph fake,
authenticated by azure-identity against the fake's Entra ID token endpoint; built directly, and
once through the hook."""

import pytest

from tests.contract.remote_calendar import WritableCalendarContract
from tests.fakes.graph_fixtures import MAILBOX

pytestmark = pytest.mark.contract


@pytest.fixture
def calendar(outlook_backend):
    return outlook_backend


@pytest.fixture
def from_connection(outlook_calendar):
    return outlook_calendar


@pytest.fixture
def edit_remotely(graph_fake):
    def edit(calendar, remote_id, summary):
        graph_fake.edit(MAILBOX, remote_id, subject=summary)

    return edit


class TestOutlookCalendar(WritableCalendarContract):
    pass
