"""A peer's Retry-After is honoured in full: waited for when it fits the run's time, otherwise the
binding is deferred to the next run with one journal line, never retried sooner (Google and
Graph answer 429 with Retry-After: https://developers.google.com/calendar/api/guides/quota,
https://learn.microsoft.com/en-us/graph/throttling)."""

import pytest

from ponton.journal import Journal
from ponton.retry import time_budget
from ponton.sync.adapters import calendar_opener
from ponton.sync.engine import run_sync_or_defer
from tests.integration.test_calendar_api_sync import (  # noqa: F401 - the provider fixture
    NOW,
    bind_with_planning,
    provider,
)

pytestmark = pytest.mark.integration


def test_a_retry_after_beyond_the_run_defers_the_binding(platform_db, provider):  # noqa: F811
    name, source, conn_id, _edit, remote_events, fake = provider
    binding, journal = bind_with_planning(platform_db, name, source, conn_id)
    fake.fail(429, times=1, retry_after="120", match=lambda method, path: method == "GET")

    with time_budget(5):
        result = run_sync_or_defer(
            platform_db, binding, calendar_opener(None), journal=journal, now=NOW
        )
    assert result == {"binding": binding, "deferred": 1, "retry_after": 120.0}
    assert remote_events() == []  # nothing written, nothing retried sooner than asked
    (entry,) = list(Journal(platform_db).tail(integration="calendar"))
    assert (entry.action, entry.outcome) == ("sync_deferred", "skipped")

    later = run_sync_or_defer(platform_db, binding, calendar_opener(None), journal=journal, now=NOW)
    assert later["remote_created"] == 1 and len(remote_events()) == 1


def test_a_short_retry_after_is_waited_within_the_run(platform_db, provider):  # noqa: F811
    name, source, conn_id, _edit, _remote_events, fake = provider
    binding, journal = bind_with_planning(platform_db, name, source, conn_id)
    fake.fail(429, times=1, retry_after="0.2", match=lambda method, path: method == "GET")
    with time_budget(30):
        result = run_sync_or_defer(
            platform_db, binding, calendar_opener(None), journal=journal, now=NOW
        )
    assert result["remote_created"] == 1 and "deferred" not in result
