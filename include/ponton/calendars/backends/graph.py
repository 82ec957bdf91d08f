"""Authenticated Microsoft Graph calls for the Outlook backend: one request with retries, JSON
``$batch`` in chunks of <= 20 with throttled sub-requests resent alone, the translation of every
Graph failure into ponton errors, and Outlook's concurrency budget per mailbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    PontonError,
    PreconditionFailed,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.limits import ConcurrencyBudget, shared_budget
from ponton.retry import RetryPolicy, is_retryable, parse_retry_after

BATCH_LIMIT = 20
# Outlook serves at most 4 concurrent requests per app per mailbox, and Graph runs up to 4 parts
# of one $batch at once (https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits).
MAILBOX_CONCURRENCY = 4
RUNBOOK = "docs/integrations/outlook.md#re-authorisation"


def mailbox_budget() -> ConcurrencyBudget:
    """Outlook's per-mailbox budget, shared by every worker when a Redis is configured."""
    return shared_budget("Graph mailbox", MAILBOX_CONCURRENCY)


def translate(
    status: int, body: Any, headers: Any, *, conn_id: str, what: str
) -> PontonError | None:
    """Every Graph failure becomes a ponton error here, and nowhere else (None: success)."""
    if status < 400:
        return None
    error = body.get("error", {}) if isinstance(body, dict) else {}
    code = error.get("code", "") if isinstance(error, dict) else str(error)
    message = error.get("message", "") if isinstance(error, dict) else ""
    retry_after = parse_retry_after((headers or {}).get("Retry-After"))
    if status == 429:
        result: PontonError = ThrottledError(
            f"{what}: Graph throttled ponton ({code})", retry_after
        )
    elif status >= 500:
        result = ThrottledError(f"{what}: Graph answered {status} {code}", retry_after)
    elif status == 401:
        result = ReauthorizationRequired(conn_id, f"Graph answered 401 {code}", RUNBOOK)
    elif status == 412:
        result = PreconditionFailed(f"{what}: changed in Outlook since ponton read it")
    elif status == 403:
        result = ConfigError(
            f"{what}: Graph answered 403 {code} ({message}); grant Calendars.ReadWrite "
            f"(application) with admin consent to the app of connection {conn_id!r}, and check "
            "any application access policy restricting its mailboxes"
        )
    elif status == 404:
        result = ConfigError(f"{what}: not found in Graph ({code}); check the mailbox/calendar id")
    else:
        result = InvalidInputError(
            f"{what}: Graph refused the request ({status} {code}: {message})"
        )
    result.http_status = status
    return result


def http_status(error: BaseException | None) -> int | None:
    return error.http_status if isinstance(error, PontonError) else None


# Without these Graph answers times in UTC and bodies in HTML (event-get, calendarView, delta:
# "Prefer: outlook.timezone", "Prefer: outlook.body-content-type"); asking for UTC explicitly
# keeps instants exact, and the event's own zone comes from ``originalStartTimeZone``.
READ_PREFERENCES = 'outlook.timezone="UTC", outlook.body-content-type="text"'


def with_preferences(headers: dict[str, str] | None) -> dict[str, str]:
    """``headers`` with ponton's read preferences added to any ``Prefer`` already there."""
    headers = dict(headers or {})
    theirs = headers.get("Prefer")
    headers["Prefer"] = f"{theirs}, {READ_PREFERENCES}" if theirs else READ_PREFERENCES
    return headers


class GraphSession:
    """Authenticated calls to one Graph base URL; ``token`` returns a fresh bearer token. Every
    request (and every ``$batch`` part: Graph reads each part's own headers) carries
    :data:`READ_PREFERENCES`, so every event Graph answers is in UTC with a plain-text body."""

    def __init__(
        self,
        base_url: str,
        token: Callable[[], str],
        *,
        conn_id: str,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.conn_id = conn_id
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.http = requests.Session()

    def _send(
        self, mailbox: str, method: str, url: str, slots: int = 1, **kwargs: Any
    ) -> requests.Response:
        target = (
            url if url.startswith("https://") or url.startswith("http://") else self.base_url + url
        )
        headers = {"Authorization": f"Bearer {self.token()}"} | with_preferences(
            kwargs.pop("headers", None)
        )
        with mailbox_budget().slots(mailbox, slots):
            try:
                return self.http.request(
                    method, target, headers=headers, timeout=self.timeout, **kwargs
                )
            except requests.RequestException as exc:
                raise TransientError(f"Graph {method} {url}: {exc}") from exc

    def call(
        self, mailbox: str, method: str, url: str, what: str, slots: int = 1, **kwargs: Any
    ) -> Any:
        """One request with retries, holding ``slots`` of the mailbox's budget while it is in
        flight; returns the decoded body (None for 204)."""
        for attempt in self.retry.retrying():
            with attempt:
                response = self._send(mailbox, method, url, slots, **kwargs)
                body = _json_or_none(response)
                error = translate(
                    response.status_code, body, response.headers, conn_id=self.conn_id, what=what
                )
                if error is not None:
                    raise error
                return body
        raise AssertionError("unreachable: tenacity reraises")

    def batch(self, mailbox: str, requests_: list[dict], what: str) -> list[dict]:
        """JSON ``$batch`` in chunks of <= 20; throttled sub-requests are resent alone."""
        answers: dict[str, dict] = {}
        requests_ = [r | {"headers": with_preferences(r.get("headers"))} for r in requests_]
        for offset in range(0, len(requests_), BATCH_LIMIT):
            pending = requests_[offset : offset + BATCH_LIMIT]
            for attempt in self.retry.retrying():
                with attempt:
                    body = self.call(
                        mailbox, "POST", "/$batch", what, len(pending), json={"requests": pending}
                    )
                    retry: dict[str, PontonError] = {}
                    for reply in body["responses"]:
                        answers[reply["id"]] = reply
                        error = translate(
                            reply["status"],
                            reply.get("body"),
                            reply.get("headers"),
                            conn_id=self.conn_id,
                            what=what,
                        )
                        if error is not None and is_retryable(error):
                            retry[reply["id"]] = error
                    pending = [r for r in pending if r["id"] in retry]
                    if pending:
                        waits = [e.retry_after for e in retry.values() if e.retry_after is not None]
                        raise ThrottledError(
                            f"{what}: {len(pending)} request(s) throttled in a batch",
                            max(waits, default=None),
                        )
        return [answers[r["id"]] for r in requests_]


def _json_or_none(response: requests.Response) -> Any:
    """The decoded body; None when empty or not JSON (a proxy's HTML 502 page, say)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
