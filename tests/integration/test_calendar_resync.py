"""An expired cursor (Google 410 ``fullSyncRequired``, Graph 410 ``SyncStateNotFound``) restarts
with a full listing that duplicates nothing and deletes nothing: the sync guide says to wipe the
local store and list again (https://developers.google.com/calendar/api/guides/sync,
https://learn.microsoft.com/en-us/graph/delta-query-overview); ponton keeps its state instead and
re-links what it finds."""

import pytest

from ponton.sync.adapters import calendar_opener
from ponton.sync.engine import run_sync
from tests.integration.test_calendar_api_sync import (  # noqa: F401 - the provider fixture
    NOW,
    _is_auth,
    bind_with_planning,
    provider,
)

pytestmark = pytest.mark.integration


def test_an_expired_cursor_resyncs_without_duplicates_or_deletions(platform_db, provider):  # noqa: F811
    name, source, conn_id, _edit, remote_events, fake = provider
    binding, journal = bind_with_planning(platform_db, name, source, conn_id)

    def sync():
        return run_sync(platform_db, binding, calendar_opener(None), journal=journal, now=NOW)

    assert sync()["remote_created"] == 1
    sync()  # settles the cursor
    if name == "google":
        fake.expire_sync_tokens()
    else:
        fake.expire_delta_tokens()
    before = len(fake.requests)
    result = sync()
    assert result["full_listing"] is True
    assert result["created"] == result["updated"] == result["deleted"] == 0
    assert len(remote_events()) == 1
    writes = [m for m, path in fake.requests[before:] if m != "GET" and not _is_auth(path)]
    assert writes == []
    actions = [e.action for e in journal.tail(integration="calendar")]
    assert "full_resync" in actions
