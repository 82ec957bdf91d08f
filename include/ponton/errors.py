"""One error hierarchy for every integration.

Permanent errors (bad configuration, invalid input, revoked credentials) must not be retried: the
operator fails the task at once. Transient errors (network, throttling, 5xx) propagate so Airflow
retries the task with backoff. Messages name the object, the cause and the fix.
"""

from __future__ import annotations


class PontonError(Exception):
    """Base of every error ponton raises on purpose."""

    #: The vendor's HTTP status, kept by the backend that translated it, for the few answers it
    #: treats as success itself (404/410 on a delete); never read outside the backends.
    http_status: int | None = None


class PermanentError(PontonError):
    """Retrying cannot help: someone must change configuration, data or credentials."""


class ConfigError(PermanentError):
    """A connection, variable or binding is missing or wrong."""


class InvalidInputError(PermanentError):
    """Data from a feed, a template or a caller cannot be used as it is."""


class ReauthorizationRequired(PermanentError):
    """Credentials were revoked or expired; a human must re-authorise the connection."""

    def __init__(self, conn_id: str, cause: str, runbook: str = "docs/runbooks/") -> None:
        self.conn_id = conn_id
        self.runbook = runbook
        super().__init__(
            f"connection {conn_id!r} needs re-authorisation ({cause}); follow {runbook} "
            "to issue new credentials, then update the connection"
        )


class GuardRefused(PermanentError):
    """A safety guard (mass delete, quota) stopped a run; an explicit override is needed."""


class WebhookUnauthenticated(PermanentError):
    """A webhook request carried no signature or credentials at all (answered 401)."""


class WebhookForbidden(PermanentError):
    """A webhook request carried a signature or credentials that do not verify (answered 403)."""


class TransientError(PontonError):
    """Retrying later may succeed (network, throttling, server errors)."""


class ThrottledError(TransientError):
    """The peer asked us to slow down (429, rateLimitExceeded)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class RetryLater(ThrottledError):
    """The peer asked ponton to wait longer than the task has left: the work is deferred to the
    next run (never retried sooner than the peer allows)."""


class PreconditionFailed(TransientError):
    """The remote object changed since we read it (412); re-read and re-plan."""


class MessageDeferred(TransientError):
    """The peer refused this one message for now (an SMTP relay's 4xx to a recipient) and took
    nothing: it waits for a later run while the other messages go on."""


class OutcomeUnknown(TransientError):
    """A write may or may not have reached the peer (timeout after the request left, connection
    dropped before the answer). Never repeat it blindly: ask the peer first."""
