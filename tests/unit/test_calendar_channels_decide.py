"""When a binding's push channel is created, renewed, kept or stopped, and how its secret is
compared."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from ponton.calendars.channels import decide, lifetime, token_hash, token_matches
from ponton.webhooks.signal import Debouncer

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 16, 8, tzinfo=UTC)


def binding(provider="google", push=True, channel=True, expires_in=timedelta(days=6), **options):
    return {
        "id": 1,
        "provider": provider,
        "enabled": True,
        "options": {"push": push, **options},
        "channel_id": "chan" if channel else None,
        "channel_expires_at": NOW + expires_in if expires_in is not None else None,
    }


@pytest.mark.parametrize(
    ("row", "action"),
    [
        (binding(channel=False), "create"),
        (binding(expires_in=timedelta(days=6)), "keep"),
        (binding(expires_in=timedelta(days=3)), "renew"),
        (binding(expires_in=timedelta(0)), "renew"),
        (binding(expires_in=None), "renew"),
        (binding(push=False), "stop"),
        (binding(push=False, channel=False), "none"),
        (binding(provider="ics", channel=False), "none"),
        (binding(provider="outlook", channel_hours=10, expires_in=timedelta(hours=6)), "keep"),
        (binding(provider="outlook", channel_hours=10, expires_in=timedelta(hours=4)), "renew"),
    ],
)
def test_decide(row, action):
    assert decide(row, NOW).action == action


def test_requested_lifetime_never_exceeds_the_providers_cap():
    assert lifetime(binding(channel_hours=1000)) == timedelta(days=7)
    assert lifetime(binding(provider="outlook")) == timedelta(minutes=10080)


def test_tokens_match_only_their_own_hash():
    assert token_matches("s3cret", token_hash("s3cret"))
    assert not token_matches("s3cret!", token_hash("s3cret"))
    assert not token_matches(None, token_hash("s3cret"))
    assert not token_matches("s3cret", None)


def test_debouncer_fires_once_for_a_burst_with_every_binding():
    fired = threading.Event()
    calls = []
    signal = Debouncer(window=0.05)
    signal.connect(lambda ids: (calls.append(ids), fired.set()))
    for binding_id in (2, 1, 2):
        signal.poke(binding_id)
    assert fired.wait(5)
    assert calls == [[1, 2]]


def test_a_failing_emitter_does_not_break_the_webhook():
    signal = Debouncer(window=3600)
    signal.connect(lambda ids: 1 / 0)
    signal.poke(1)
    signal.flush()  # logged, not raised


def test_without_an_emitter_pokes_start_no_timer():
    signal = Debouncer(window=3600)
    signal.poke(1)
    assert signal._timer is None
