"""The one retry policy of every vendor backend (calendars, storage, mail): exponential backoff
with full jitter, but never sooner than the peer's ``Retry-After``. Only transient ponton errors
are retried, and a stale etag (``PreconditionFailed``) never is: it needs a re-read, not a retry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from ponton.errors import OutcomeUnknown, PreconditionFailed, TransientError


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_seconds: float = 0.5
    max_seconds: float = 60.0

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        backoff = wait_random_exponential(multiplier=self.base_seconds, max=self.max_seconds)(state)
        if retry_after is not None:
            # Honour the server's pacing; a little jitter keeps parallel workers apart.
            return min(float(retry_after) + backoff / 10, self.max_seconds)
        return backoff

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
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            reraise=True,
        )


def is_retryable(exc: BaseException) -> bool:
    """Transient errors, except a stale etag and a write whose outcome is unknown (it may have
    happened: repeating it blindly could do it twice)."""
    return isinstance(exc, TransientError) and not isinstance(
        exc, PreconditionFailed | OutcomeUnknown
    )


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare on these APIs and treated as absent)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
