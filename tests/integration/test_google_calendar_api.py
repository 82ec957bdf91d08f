"""Google-specific behaviour beyond the contract: expired sync tokens, throttling storms, revoked
credentials and partial batch failures, all against the loopback fake."""

import pytest

from ponton.errors import PreconditionFailed, ReauthorizationRequired
from ponton.sync.port import RemoteWrite
from tests.contract.remote_calendar import WINDOW, sample_event
from tests.fakes.google_fixtures import CALENDAR

pytestmark = pytest.mark.integration


def creates(n, prefix="e"):
    return [
        RemoteWrite(
            "create", f"{prefix}-{i}@platform", event=sample_event(f"{prefix}-{i}@platform")
        )
        for i in range(n)
    ]


def test_expired_sync_token_gives_a_full_listing_without_duplicates(google_calendar, google_fake):
    google_calendar.apply_writes(creates(5))
    cursor = google_calendar.list_changes(None, *WINDOW).cursor
    google_fake.expire_sync_tokens()
    changes = google_calendar.list_changes(cursor, *WINDOW)
    assert changes.full and changes.cursor and changes.cursor != cursor
    assert sorted(r.platform_uid for r in changes.events) == [f"e-{i}@platform" for i in range(5)]
    google_calendar.apply_writes(creates(5))  # the re-plan after a resync re-sends creates
    assert len(google_fake.items(CALENDAR)) == 5


def test_listing_pages_through_every_event(google_calendar, google_fake):
    google_calendar.apply_writes(creates(8))
    before = google_fake.count("GET", "/calendars/")
    assert len(google_calendar.list_changes(None, *WINDOW).events) == 8
    assert google_fake.count("GET", "/calendars/") - before == 3  # pages of 3


def test_incremental_listing_reports_remote_deletions(google_calendar, google_fake):
    (created,) = [r.remote for r in google_calendar.apply_writes(creates(1))]
    cursor = google_calendar.list_changes(None, *WINDOW).cursor
    google_fake.edit(CALENDAR, created.remote_id, status="cancelled")
    changes = google_calendar.list_changes(cursor, *WINDOW)
    assert (changes.full, list(changes.deleted), list(changes.events)) == (
        False,
        [created.remote_id],
        [],
    )


def test_a_429_storm_completes_within_the_retries(google_calendar, google_fake):
    google_fake.fail(429, times=3, retry_after="0")
    google_fake.fail(
        403, times=2, body={"error": {"errors": [{"reason": "userRateLimitExceeded"}]}}
    )
    results = google_calendar.apply_writes(creates(7))
    assert [r.error for r in results] == [None] * 7
    assert len(google_fake.items(CALENDAR)) == 7


def test_throttling_beyond_the_retries_surfaces_as_a_transient_error(google_conn, google_fake):
    from ponton.errors import ThrottledError, TransientError
    from ponton.hooks.google_calendar import GoogleCalendarHook

    calendar = GoogleCalendarHook(
        google_calendar_conn_id=google_conn,
        calendar_id=CALENDAR,
        options={"retry_attempts": 2, "retry_max_seconds": 0.1},
    ).get_conn()
    google_fake.fail(503, times=10)
    with pytest.raises(Exception) as caught:
        calendar.list_changes(None, *WINDOW)
    assert isinstance(caught.value, TransientError)
    assert not isinstance(caught.value, ThrottledError)


def test_revoked_refresh_token_requires_reauthorisation(google_calendar, google_fake):
    google_fake.revoke("refresh-ok")
    with pytest.raises(ReauthorizationRequired) as caught:
        google_calendar.list_changes(None, *WINDOW)
    assert "google_calendar_test" in str(caught.value)
    assert "docs/runbooks/google-oauth.md" in str(caught.value)


def test_batch_partial_failure_reports_each_write_alone(google_calendar, google_fake):
    first, second = [r.remote for r in google_calendar.apply_writes(creates(2))]
    google_fake.edit(CALENDAR, second.remote_id, summary="edited in Google")
    results = google_calendar.apply_writes(
        [
            RemoteWrite(
                "update",
                first.platform_uid,
                event=sample_event(first.platform_uid, summary="ours"),
                remote_id=first.remote_id,
                etag=first.etag,
            ),
            RemoteWrite(
                "update",
                second.platform_uid,
                event=sample_event(second.platform_uid, summary="ours"),
                remote_id=second.remote_id,
                etag=second.etag,
            ),
            *creates(1, prefix="new"),
        ]
    )
    assert results[0].error is None and results[0].remote.event.summary == "ours"
    assert isinstance(results[1].error, PreconditionFailed)
    assert results[2].error is None


def test_recreating_a_deleted_event_restores_it_under_the_same_id(google_calendar, google_fake):
    (created,) = [r.remote for r in google_calendar.apply_writes(creates(1))]
    google_calendar.apply_writes(
        [RemoteWrite("delete", "e-0@platform", remote_id=created.remote_id)]
    )
    (again,) = google_calendar.apply_writes(creates(1))
    assert again.error is None and again.remote.remote_id == created.remote_id
    assert google_calendar.find("e-0@platform") is not None


def test_writes_are_sent_in_batches_of_at_most_fifty(google_calendar, google_fake):
    google_calendar.apply_writes(creates(120))
    assert google_fake.count("POST", "/batch/") == 3
    assert len(google_fake.items(CALENDAR)) == 120


def test_a_channel_lives_at_most_seven_days_and_cannot_be_extended(google_calendar, google_fake):
    from datetime import UTC, datetime, timedelta

    channel = google_calendar.open_channel(
        channel_id="chan-1",
        address="https://hooks.example.com/ponton/webhooks/google",
        token="s3cret",
        expires_at=datetime.now(UTC) + timedelta(days=30),
    )
    assert google_fake.channels["chan-1"]["token"] == "s3cret"
    assert channel.expires_at <= datetime.now(UTC) + timedelta(days=7)
    assert google_calendar.renew_channel(channel, expires_at=channel.expires_at) is None
    assert google_calendar.close_channel(channel) is True
    assert google_calendar.close_channel(channel) is False


def test_a_delete_is_sent_once_and_needs_no_retry(google_calendar, google_fake):
    (created,) = [r.remote for r in google_calendar.apply_writes(creates(1))]
    before = google_fake.count("POST", "/batch/")
    (result,) = google_calendar.apply_writes(
        [RemoteWrite("delete", "e-0@platform", remote_id=created.remote_id, etag=created.etag)]
    )
    assert result.error is None
    assert google_fake.count("POST", "/batch/") - before == 1


def test_an_override_of_a_series_google_lacks_fails_alone_in_its_batch(
    google_calendar, google_fake
):
    """Its instance cannot be addressed (404): that write waits as stale, the rest is written."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    override = sample_event(
        "series@platform", recurrence_id=datetime(2026, 3, 30, 10, tzinfo=ZoneInfo("Europe/Paris"))
    )
    results = google_calendar.apply_writes(
        [RemoteWrite("create", "series@platform", event=override), *creates(2)]
    )
    assert isinstance(results[0].error, PreconditionFailed)
    assert [r.error for r in results[1:]] == [None, None]
