"""Graph-specific behaviour beyond the contract: expired delta tokens, per-request throttling in
``$batch``, rejected client secrets, partial batch failures and subscriptions."""

from datetime import UTC, datetime, timedelta

import pytest

from ponton.errors import PreconditionFailed, ReauthorizationRequired
from ponton.sync.port import RemoteWrite
from tests.contract.remote_calendar import WINDOW, sample_event
from tests.fakes.graph_fixtures import MAILBOX

pytestmark = pytest.mark.integration


def creates(n, prefix="o"):
    return [
        RemoteWrite(
            "create", f"{prefix}-{i}@platform", event=sample_event(f"{prefix}-{i}@platform")
        )
        for i in range(n)
    ]


def test_expired_delta_token_gives_a_full_listing_without_duplicates(outlook_calendar, graph_fake):
    outlook_calendar.apply_writes(creates(5))
    cursor = outlook_calendar.list_changes(None, *WINDOW).cursor
    graph_fake.expire_delta_tokens()
    changes = outlook_calendar.list_changes(cursor, *WINDOW)
    assert changes.full and changes.cursor != cursor
    assert sorted(r.platform_uid for r in changes.events) == [f"o-{i}@platform" for i in range(5)]
    outlook_calendar.apply_writes(creates(5))  # transactionId turns re-sent creates into no-ops
    assert len(graph_fake.events(MAILBOX)) == 5


def test_delta_rounds_page_and_report_edits(outlook_calendar, graph_fake):
    created = [r.remote for r in outlook_calendar.apply_writes(creates(7))]
    full = outlook_calendar.list_changes(None, *WINDOW)
    assert len(full.events) == 7
    graph_fake.edit(MAILBOX, created[1].remote_id, subject="moved by a person")
    changes = outlook_calendar.list_changes(full.cursor, *WINDOW)
    assert not changes.full
    assert [r.event.summary for r in changes.events] == ["moved by a person"]
    assert changes.events[0].platform_uid == "o-1@platform"


def test_a_delta_round_with_removals_reads_the_window_again(outlook_calendar, graph_fake):
    """Graph names a removed event or occurrence by its opaque id only: the window is re-read."""
    created = [r.remote for r in outlook_calendar.apply_writes(creates(7))]
    full = outlook_calendar.list_changes(None, *WINDOW)
    graph_fake.remove(MAILBOX, created[0].remote_id)
    changes = outlook_calendar.list_changes(full.cursor, *WINDOW)
    assert changes.full
    assert sorted(r.platform_uid for r in changes.events) == [
        f"o-{i}@platform" for i in range(1, 7)
    ]


def test_unchanged_rerun_makes_one_list_call_and_no_write(outlook_calendar, graph_fake):
    outlook_calendar.apply_writes(creates(4))
    cursor = outlook_calendar.list_changes(None, *WINDOW).cursor
    before = len(graph_fake.requests)
    changes = outlook_calendar.list_changes(cursor, *WINDOW)
    assert (list(changes.events), list(changes.deleted)) == ([], [])
    assert graph_fake.requests[before:] == [
        ("GET", "/v1.0/users/planner@contoso.example/calendarView/delta")
    ]


def test_throttled_requests_inside_a_batch_are_resent_alone(outlook_calendar, graph_fake):
    graph_fake.fail(429, times=4, retry_after="0", match=lambda method, path: method == "POST")
    results = outlook_calendar.apply_writes(creates(6))
    assert [r.error for r in results] == [None] * 6
    assert len(graph_fake.events(MAILBOX)) == 6
    assert graph_fake.count("POST", "/v1.0/$batch") == 2


def test_writes_go_in_batches_of_at_most_twenty(outlook_calendar, graph_fake):
    outlook_calendar.apply_writes(creates(45))
    assert graph_fake.count("POST", "/v1.0/$batch") == 3


def test_rejected_client_secret_requires_reauthorisation(outlook_calendar, graph_fake):
    graph_fake.client_secret = "rotated-elsewhere"
    with pytest.raises(ReauthorizationRequired) as caught:
        outlook_calendar.list_changes(None, *WINDOW)
    assert "outlook_test" in str(caught.value)


def test_batch_partial_failure_reports_each_write_alone(outlook_calendar, graph_fake):
    first, second = [r.remote for r in outlook_calendar.apply_writes(creates(2))]
    graph_fake.edit(MAILBOX, second.remote_id, subject="edited in Outlook")
    results = outlook_calendar.apply_writes(
        [
            RemoteWrite(
                "update",
                "o-0@platform",
                event=sample_event("o-0@platform", summary="ours"),
                remote_id=first.remote_id,
                etag=first.etag,
            ),
            RemoteWrite(
                "update",
                "o-1@platform",
                event=sample_event("o-1@platform", summary="ours"),
                remote_id=second.remote_id,
                etag=second.etag,
            ),
            RemoteWrite("delete", "never@platform", remote_id="AAMk-unknown"),
        ]
    )
    assert results[0].error is None and results[0].remote.event.summary == "ours"
    assert isinstance(results[1].error, PreconditionFailed)
    assert results[2].error is None


def test_attendees_are_not_written_unless_the_binding_asks(outlook_conn, graph_fake):
    from ponton.hooks.outlook_calendar import OutlookCalendarHook
    from ponton.model import Attendee

    event = sample_event("a@platform", attendees=(Attendee("guest@example.com"),))
    plain = OutlookCalendarHook(outlook_conn_id=outlook_conn, calendar_id=MAILBOX)
    plain.get_conn().apply_writes([RemoteWrite("create", "a@platform", event=event)])
    inviting = OutlookCalendarHook(
        outlook_conn_id=outlook_conn, calendar_id=MAILBOX, options={"write_attendees": True}
    )
    inviting.get_conn().apply_writes(
        [
            RemoteWrite(
                "create", "b@platform", event=sample_event("b@platform", attendees=event.attendees)
            )
        ]
    )
    by_subject = {e["transactionId"]: e for e in graph_fake.events(MAILBOX)}
    assert sorted("attendees" in e for e in by_subject.values()) == [False, True]


def test_subscription_create_renew_delete(outlook_calendar, graph_fake):
    now = datetime.now(UTC)
    opened = outlook_calendar.open_channel(
        channel_id="ignored",
        address="https://hooks.example.com/ponton/webhooks/graph",
        token="state-1",
        expires_at=now + timedelta(days=2),
    )
    assert graph_fake.subscriptions[opened.channel_id]["clientState"] == "state-1"
    renewed = outlook_calendar.renew_channel(opened, expires_at=now + timedelta(days=6))
    assert renewed.expires_at > opened.expires_at
    assert outlook_calendar.close_channel(renewed) is True
    assert outlook_calendar.close_channel(renewed) is False
    assert outlook_calendar.renew_channel(renewed, expires_at=now + timedelta(days=1)) is None


def test_at_most_four_requests_per_mailbox_are_in_flight(outlook_calendar, graph_fake):
    from concurrent.futures import ThreadPoolExecutor

    outlook_calendar.find("warm-up@platform")  # token fetched once, outside the measurement
    graph_fake.latency = 0.05
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(outlook_calendar.find, [f"u{i}@platform" for i in range(20)]))
    assert 1 < graph_fake.max_in_flight <= 4
