from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ponton.errors import InvalidInputError
from ponton.mail.backends import postmark_events as postmark
from ponton.mail.backends import sendgrid_events as sendgrid
from ponton.mail.status import STATUSES, StatusEvent, supersedes

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 16, 9, tzinfo=UTC)
KINDS = [k for k in STATUSES if k != "unknown"]


def fold(events):
    """The ledger's rule applied one event at a time, as arrivals come."""
    current = (None, None)
    for kind, at in events:
        if supersedes(kind, at, *current):
            current = (kind, at)
    return current


@settings(deadline=None)  # timing varies under coverage and xdist
@given(
    st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 120)), min_size=1, max_size=12),
    st.randoms(),
)
def test_the_final_status_does_not_depend_on_arrival_order(raw, random):
    events = [(kind, T0 + timedelta(seconds=s)) for kind, s in raw]
    shuffled = list(events)
    random.shuffle(shuffled)
    assert fold(events) == fold(shuffled)
    latest = max(at for _, at in events)
    assert fold(events)[1] == latest


def test_a_status_without_provider_time_always_gives_way():
    assert supersedes("queued", T0, "sending", None)
    assert supersedes("queued", T0 - timedelta(days=1), "sent", None)
    assert not supersedes("queued", T0, "delivered", T0 + timedelta(seconds=1))


def test_engagement_and_unknown_events_do_not_change_status():
    def make(kind):
        return StatusEvent("x", kind, kind, T0)

    assert [make(k).changes_status for k in ("opened", "clicked", "unknown", "bounced")] == [
        False,
        False,
        False,
        True,
    ]


def test_naive_times_and_foreign_kinds_are_refused():
    with pytest.raises(ValueError, match="naive"):
        StatusEvent("x", "1", "delivered", datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="kind"):
        StatusEvent("x", "1", "processed", T0)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ({"event": "processed"}, "queued"),
        ({"event": "delivered"}, "delivered"),
        ({"event": "deferred"}, "deferred"),
        ({"event": "bounce", "type": "bounce"}, "bounced"),
        ({"event": "bounce", "type": "blocked"}, "rejected"),
        ({"event": "dropped"}, "rejected"),
        ({"event": "spamreport"}, "complained"),
        ({"event": "open"}, "opened"),
        ({"event": "click"}, "clicked"),
        ({"event": "group_unsubscribe"}, "unsubscribed"),
        ({"event": "group_resubscribe"}, "unknown"),
        ({"event": "brand_new"}, "unknown"),
    ],
)
def test_sendgrid_events_map_to_the_vocabulary(raw, kind):
    event = sendgrid.status_event(raw | {"timestamp": 1773651600, "ponton_notification_id": "4"})
    assert (event.kind, event.notification_id, event.occurred_at.tzinfo) == (kind, 4, UTC)


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"RecordType": "Delivery", "DeliveredAt": "2026-03-16T10:00:00Z"}, "delivered"),
        (
            {"RecordType": "Bounce", "Type": "HardBounce", "BouncedAt": "2026-03-16T10:00:00Z"},
            "bounced",
        ),
        (
            {"RecordType": "Bounce", "Type": "SoftBounce", "BouncedAt": "2026-03-16T10:00:00Z"},
            "deferred",
        ),
        (
            {"RecordType": "Bounce", "Type": "Blocked", "BouncedAt": "2026-03-16T10:00:00Z"},
            "rejected",
        ),
        (
            {"RecordType": "Bounce", "Type": "AutoResponder", "BouncedAt": "2026-03-16T10:00:00Z"},
            "autoresponded",
        ),
        ({"RecordType": "SpamComplaint", "BouncedAt": "2026-03-16T10:00:00Z"}, "complained"),
        ({"RecordType": "Open", "ReceivedAt": "2026-03-16T10:00:00Z"}, "opened"),
        ({"RecordType": "Click", "ReceivedAt": "2026-03-16T10:00:00Z"}, "clicked"),
        ({"RecordType": "SubscriptionChange", "ChangedAt": "2026-03-16T10:00:00Z"}, "unknown"),
        ({"RecordType": "Hologram"}, "unknown"),
    ],
)
def test_postmark_records_map_to_the_vocabulary(record, kind):
    event = postmark.status_event(
        record | {"MessageID": "m", "Metadata": {"ponton_notification_id": "4"}}, T0
    )
    assert (event.kind, event.notification_id) == (kind, 4)


def test_an_event_without_any_time_is_unusable():
    with pytest.raises(InvalidInputError):
        sendgrid.status_event({"event": "delivered"})
    with pytest.raises(InvalidInputError):
        postmark.status_event({"RecordType": "Delivery"})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)
KEYS = st.sampled_from(
    [
        "event",
        "timestamp",
        "sg_event_id",
        "sg_message_id",
        "type",
        "ponton_notification_id",
        "RecordType",
        "DeliveredAt",
        "BouncedAt",
        "ReceivedAt",
        "Type",
        "MessageID",
        "Metadata",
    ]
)


@settings(deadline=None)  # timing varies under coverage and xdist
@given(st.dictionaries(KEYS | st.text(max_size=8), JSON, max_size=8))
@example({"timestamp": 10**18})  # past what the C library converts: OSError, not ValueError
def test_provider_parsers_read_anything_or_refuse_it_cleanly(raw):
    for read in (sendgrid.status_event, lambda r: postmark.status_event(r, None)):
        try:
            event = read(raw)
        except InvalidInputError:
            continue
        assert event.occurred_at.tzinfo is not None
        assert event.provider_message_id is None or isinstance(event.provider_message_id, str)
        assert event.notification_id is None or isinstance(event.notification_id, int)
