"""A feed's own polling hint (REFRESH-INTERVAL, X-PUBLISHED-TTL) sets the minimum interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ponton.calendars.backends.connect import _refresh_interval
from ponton.errors import ConfigError
from ponton.ics import export_calendar
from ponton.ics.refresh import refresh_due, refresh_hint

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def feed(*lines: str, event: str = "") -> bytes:
    head = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{head}{event}END:VCALENDAR\r\n".encode()


@pytest.mark.parametrize(
    ("lines", "hint"),
    [
        (["REFRESH-INTERVAL;VALUE=DURATION:PT12H"], timedelta(hours=12)),
        (["X-PUBLISHED-TTL:P1W"], timedelta(weeks=1)),
        (["X-PUBLISHED-TTL:PT1H", "REFRESH-INTERVAL;VALUE=DURATION:P1D"], timedelta(days=1)),
        (["X-PUBLISHED-TTL:soon"], None),
        (["REFRESH-INTERVAL;VALUE=DURATION:PT0S"], None),
        ([], None),
    ],
)
def test_refresh_hint_prefers_rfc_7986_and_ignores_unreadable_values(lines, hint):
    assert refresh_hint(feed(*lines)) == hint


def test_a_hint_inside_an_event_is_not_the_calendars():
    event = "BEGIN:VEVENT\r\nUID:a\r\nX-PUBLISHED-TTL:P1W\r\nEND:VEVENT\r\n"
    assert refresh_hint(feed(event=event)) is None


def test_the_feed_is_not_fetched_again_before_its_hint_has_passed():
    hint = timedelta(hours=12)
    assert not refresh_due(NOW - timedelta(hours=1), hint, None, NOW)
    assert refresh_due(NOW - timedelta(hours=12), hint, None, NOW)
    assert refresh_due(None, hint, None, NOW)
    assert refresh_due(NOW, None, None, NOW)


def test_the_binding_override_replaces_the_hint_both_ways():
    hint = timedelta(hours=12)
    assert refresh_due(NOW - timedelta(minutes=1), hint, timedelta(0), NOW)
    assert not refresh_due(NOW - timedelta(hours=13), hint, timedelta(days=1), NOW)


def test_refresh_interval_option_is_validated():
    assert _refresh_interval({"refresh_interval": "0"}) == 0
    assert _refresh_interval({}) is None
    with pytest.raises(ConfigError, match="refresh_interval"):
        _refresh_interval({"refresh_interval": "-5"})


def test_published_feeds_carry_both_hints_and_read_back():
    data = export_calendar([], "Team", refresh=timedelta(minutes=30))
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT30M\r\n" in data
    assert b"X-PUBLISHED-TTL:PT30M\r\n" in data
    assert refresh_hint(data) == timedelta(minutes=30)
