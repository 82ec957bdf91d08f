"""The one retry policy of every vendor backend (calendars, storage, mail): exponential backoff
with full jitter, but never sooner than the peer's ``Retry-After``, which is honoured in full.
Only transient ponton errors are retried, and a stale etag (``PreconditionFailed``) never is: it
needs a re-read, not a retry.

How long ponton may wait is the caller's time budget (:func:`time_budget`, set by the operators
from the task's remaining time; ``RetryPolicy.max_wait_seconds`` outside one): a wait that does not
fit ends the retries with :class:`~ponton.errors.RetryLater`, and the caller defers the work to its
next run instead of retrying sooner than the peer allows."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from ponton.errors import (
    MessageDeferred,
    OutcomeUnknown,
    PreconditionFailed,
    RetryLater,
    ThrottledError,
    TransientError,
)

_deadline: ContextVar[float | None] = ContextVar("ponton_retry_deadline", default=None)


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Retries inside this block wait at most until ``seconds`` from now (None: no budget)."""
    token = _deadline.set(None if seconds is None else time.monotonic() + max(0.0, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining_seconds() -> float | None:
    """What is left of the current :func:`time_budget`, None outside one."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_seconds: float = 0.5
    max_seconds: float = 60.0  # cap of our own backoff; a peer's Retry-After is not capped
    max_wait_seconds: float = 600.0  # the budget of one wait outside a time_budget block

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = exc.retry_after if isinstance(exc, ThrottledError) else None
        backoff = wait_random_exponential(multiplier=self.base_seconds, max=self.max_seconds)(state)
        if retry_after is not None:
            # Never sooner than the peer asked; a little jitter keeps parallel workers apart.
            return float(retry_after) + min(backoff / 10, 1.0)
        return backoff

    def _beyond_budget(self, state: RetryCallState) -> bool:
        left = remaining_seconds()
        return state.upcoming_sleep > (self.max_wait_seconds if left is None else left)

    def _give_up(self, state: RetryCallState) -> NoReturn:
        """Out of attempts: the last error; out of time for the wait the peer asked: RetryLater."""
        exc = state.outcome.exception() if state.outcome else None
        if self._beyond_budget(state) and isinstance(exc, ThrottledError):
            raise RetryLater(
                f"{exc}; the peer asked to wait {exc.retry_after or state.upcoming_sleep:.0f} s, "
                "more than this run has left: deferred to the next run",
                exc.retry_after,
            ) from exc
        raise exc if exc is not None else AssertionError("tenacity gave up without an outcome")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> RetryPolicy:
        """A binding's or connection's ``retry_attempts`` / ``retry_max_seconds``."""
        return cls(
            attempts=int(options.get("retry_attempts", cls.attempts)),
            max_seconds=float(options.get("retry_max_seconds", cls.max_seconds)),
        )

    def retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self.attempts) | self._beyond_budget,
            wait=self.wait,
            retry_error_callback=self._give_up,
        )


def is_retryable(exc: BaseException) -> bool:
    """Transient errors, except a stale etag, a write whose outcome is unknown (it may have
    happened: repeating it blindly could do it twice) and a message a relay deferred (it waits
    minutes, not seconds)."""
    return isinstance(exc, TransientError) and not isinstance(
        exc, PreconditionFailed | OutcomeUnknown | MessageDeferred
    )


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare on these APIs and treated as absent)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
