"""Every Google Calendar failure becomes a ponton error here, and nowhere else: throttling
(429, or 403 with a rate-limit reason) with its Retry-After, 5xx as transient, 401 and a refused
refresh token as re-authorisation, 412 as a stale etag, 403/404 as configuration."""

from __future__ import annotations

import json

from google.auth.exceptions import RefreshError
from googleapiclient.errors import Error as GoogleApiClientError
from googleapiclient.errors import HttpError
from httplib2 import HttpLib2Error

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    PontonError,
    PreconditionFailed,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.retry import parse_retry_after

RUNBOOK = "docs/runbooks/google-oauth.md"
_THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}


def _reason(exc: HttpError) -> str:
    try:
        error = json.loads(exc.content or b"{}").get("error", {})
    except ValueError:
        return ""
    if isinstance(error, str):
        return error
    errors = error.get("errors") or [{}]
    return errors[0].get("reason", "") or error.get("status", "")


def translate(exc: Exception, *, conn_id: str, what: str) -> PontonError:
    """Every Google failure becomes a ponton error here, and nowhere else; ``http_status`` keeps
    the status for the few callers that treat one as success (404/410 on delete)."""
    error = _translate(exc, conn_id=conn_id, what=what)
    if isinstance(exc, HttpError):
        error.http_status = exc.resp.status
    return error


def http_status(error: BaseException | None) -> int | None:
    return error.http_status if isinstance(error, PontonError) else None


def _translate(exc: Exception, *, conn_id: str, what: str) -> PontonError:
    if isinstance(exc, PontonError):
        return exc
    if isinstance(exc, RefreshError):
        return ReauthorizationRequired(conn_id, f"Google refused the credentials: {exc}", RUNBOOK)
    if not isinstance(exc, HttpError):
        if isinstance(exc, (OSError, HttpLib2Error, GoogleApiClientError)):
            return TransientError(f"{what}: {type(exc).__name__}: {exc}")
        raise exc  # a bug, not the network: surface it unchanged, never retry it
    status, reason = exc.resp.status, _reason(exc)
    retry_after = parse_retry_after(exc.resp.get("retry-after"))
    if status == 429 or (status == 403 and reason in _THROTTLE_REASONS):
        return ThrottledError(f"{what}: Google throttled ponton ({reason or status})", retry_after)
    if status >= 500:
        return TransientError(f"{what}: Google answered {status} ({reason}); retrying later")
    if status == 401:
        return ReauthorizationRequired(conn_id, f"Google answered 401 {reason}", RUNBOOK)
    if status == 412:
        return PreconditionFailed(f"{what}: changed in Google since ponton read it")
    if status in (403, 404):
        return ConfigError(
            f"{what}: Google answered {status} {reason}; check that the calendar id is right and "
            f"shared with the identity of connection {conn_id!r} (delegation subject or OAuth user)"
        )
    return InvalidInputError(f"{what}: Google refused the request ({status} {reason})")
