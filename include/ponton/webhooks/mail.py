"""Mail provider webhooks: ``POST /ponton/webhooks/sendgrid`` and ``/ponton/webhooks/postmark``.

The sender is verified before anything else (SendGrid: ECDSA signature over timestamp + body;
Postmark: HTTP basic auth): 401 without a signature or credentials, 403 when they do not verify,
and in both cases the database is not touched. Verified events are stored one per inbox row,
deduplicated (SendGrid ``sg_event_id``, Postmark record content), and answered 200 at once; the
``ponton_mail_reconcile`` DAG folds them into the notifications log.

Keys come from the ``ponton_mail`` connection (``PONTON_MAIL_CONN_ID`` to rename it) exported to
the API server as ``AIRFLOW_CONN_PONTON_MAIL``: this module runs without Airflow imports, so it
reads the environment variable itself (:class:`ponton.secrets.EnvConnectionResolver`). Extras:
``webhook_public_key`` (+ ``webhook_public_key_previous`` during a rotation) for SendGrid,
``webhook_username``/``webhook_password`` (+ ``webhook_password_previous``) for Postmark.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ponton import settings
from ponton.errors import ConfigError, InvalidInputError, WebhookForbidden, WebhookUnauthenticated
from ponton.mail.backends import postmark_events as postmark
from ponton.mail.backends import sendgrid_events as sendgrid
from ponton.secrets import EnvConnectionResolver
from ponton.webhooks.inbox import platform_db, read_body, store_many
from ponton.webhooks.schemas import check_json

router = APIRouter(tags=["mail"])
log = logging.getLogger(__name__)


class Verifier(Protocol):
    def verify(self, body: bytes, headers: Any) -> None: ...

    def raw_events(self, body: bytes) -> list[dict[str, Any]]: ...


def _extra() -> dict[str, Any]:
    """The mail connection's extras; ``ConfigError`` (answered 503) when it is not exported."""
    return EnvConnectionResolver().get(settings.mail_conn_id()).extra


def sendgrid_verifier() -> sendgrid.SendGridWebhook:
    extra = _extra()
    return sendgrid.SendGridWebhook(
        [extra.get("webhook_public_key", ""), extra.get("webhook_public_key_previous", "")]
    )


def postmark_verifier() -> postmark.PostmarkWebhook:
    extra = _extra()
    return postmark.PostmarkWebhook(
        extra.get("webhook_username", ""),
        [extra.get("webhook_password", ""), extra.get("webhook_password_previous", "")],
    )


async def receive(
    request: Request,
    source: str,
    verifier: Callable[[], Verifier],
    dedupe_key: Callable[[dict[str, Any]], str],
) -> dict[str, int]:
    body = await read_body(request)
    try:
        checker = verifier()
    except ConfigError as exc:
        log.error("%s webhook refused a post: %s", source, exc)  # the cause stays server-side
        raise HTTPException(
            status_code=503,
            detail=f"{source} webhook not configured on this server; see docs/integrations/mail.md",
        ) from exc

    def verified_events() -> list[dict[str, Any]]:
        checker.verify(body, request.headers)
        check_json(body, f"{source} post")
        return checker.raw_events(body)

    try:
        # Signature checks and JSON parsing are CPU work: off the event loop, like the DB work.
        raw_events = await run_in_threadpool(verified_events)
    except WebhookUnauthenticated as exc:
        headers = {"WWW-Authenticate": 'Basic realm="ponton"'} if source == "postmark" else None
        raise HTTPException(status_code=401, detail=str(exc), headers=headers) from exc
    except WebhookForbidden as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except InvalidInputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    items = [(dedupe_key(raw), raw) for raw in raw_events]
    stored = await run_in_threadpool(store_many, platform_db(), source, items)
    return {"received": len(items), "stored": stored}


@router.post("/sendgrid")
async def sendgrid_events(request: Request) -> dict[str, int]:
    return await receive(request, "sendgrid", sendgrid_verifier, sendgrid.dedupe_key)


@router.post("/postmark")
async def postmark_events(request: Request) -> dict[str, int]:
    return await receive(request, "postmark", postmark_verifier, postmark.dedupe_key)
