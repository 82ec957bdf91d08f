"""The adapters' retry policy: never sooner than Retry-After, bounded, and never for stale etags
or permanent errors."""

import pytest
from tenacity import RetryCallState, Retrying

from ponton.errors import (
    ConfigError,
    OutcomeUnknown,
    PreconditionFailed,
    RetryLater,
    ThrottledError,
    TransientError,
)
from ponton.retry import RetryPolicy, is_retryable, parse_retry_after, time_budget

pytestmark = pytest.mark.unit


def state_after(exc, attempt=1):
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_wait_honours_retry_after_with_a_little_jitter():
    policy = RetryPolicy(base_seconds=0.5, max_seconds=60)
    waits = [policy.wait(state_after(ThrottledError("429", retry_after=7))) for _ in range(50)]
    assert all(7 <= w <= 7 + 6 for w in waits)


def test_wait_without_retry_after_backs_off_within_the_cap():
    policy = RetryPolicy(base_seconds=0.5, max_seconds=4)
    waits = [policy.wait(state_after(TransientError("503"), attempt=10)) for _ in range(50)]
    assert all(0 <= w <= 4 for w in waits) and len(set(waits)) > 1  # jittered


def test_retry_after_is_honoured_in_full_whatever_our_backoff_cap():
    policy = RetryPolicy(max_seconds=5)
    assert 3600 <= policy.wait(state_after(ThrottledError("429", retry_after=3600))) <= 3601


def call_through(policy, answers):
    """Run ``policy`` over a call failing with ``answers`` in turn; returns (result, calls)."""
    calls = []
    for attempt in policy.retrying():
        with attempt:
            calls.append(1)
            if len(calls) <= len(answers):
                raise answers[len(calls) - 1]
            return "done", len(calls)
    raise AssertionError("unreachable")


def test_a_wait_that_fits_the_time_budget_is_waited():
    with time_budget(5):
        assert call_through(RetryPolicy(), [ThrottledError("429", retry_after=0.01)]) == ("done", 2)


def test_a_wait_beyond_the_time_budget_defers_without_retrying_sooner():
    with time_budget(5), pytest.raises(RetryLater, match="deferred to the next run") as caught:
        call_through(RetryPolicy(), [ThrottledError("429", retry_after=120)] * 3)
    assert caught.value.retry_after == 120
    assert isinstance(caught.value.__cause__, ThrottledError)


def test_outside_a_budget_the_policy_bounds_one_wait():
    with pytest.raises(RetryLater):
        call_through(RetryPolicy(max_wait_seconds=1), [ThrottledError("429", retry_after=30)])


def test_running_out_of_attempts_raises_the_last_error_itself():
    policy = RetryPolicy(attempts=2, base_seconds=0.001, max_seconds=0.01)
    with pytest.raises(TransientError) as caught:
        call_through(policy, [TransientError("503")] * 5)
    assert not isinstance(caught.value, RetryLater)


@pytest.mark.parametrize(
    ("exc", "retry"),
    [
        (ThrottledError("429"), True),
        (TransientError("503"), True),
        (PreconditionFailed("412"), False),
        (OutcomeUnknown("timeout after the request left"), False),
        (ConfigError("404"), False),
    ],
)
def test_only_transient_errors_are_retried(exc, retry):
    assert is_retryable(exc) is retry


@pytest.mark.parametrize(("raw", "seconds"), [("3", 3.0), ("0", 0.0), ("-1", 0.0), (None, None)])
def test_parse_retry_after(raw, seconds):
    assert parse_retry_after(raw) == seconds


def test_http_date_retry_after_is_treated_as_absent():
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT") is None
