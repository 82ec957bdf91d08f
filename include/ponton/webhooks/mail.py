"""Mail provider webhooks: ``POST /ponton/webhooks/sendgrid`` and ``/ponton/webhooks/postmark``.

The sender is verified before anything else (SendGrid: ECDSA signature over timestamp + body;
Postmark: HTTP basic auth): 401 without a signature or credentials, 403 when they do not verify,
and in both cases the database is not touched. Verified events are stored one per inbox row,
deduplicated (SendGrid ``sg_event_id``, Postmark record content), and answered 200 at once; the
``ponton_mail_reconcile`` DAG folds them into the notifications log.

Keys come from their own connection, ``ponton_mail_webhooks`` (``PONTON_MAIL_WEBHOOKS_CONN_ID`` to
rename it), so the API server never holds the mail API key or server token. It is looked up on each
post through the app's connection resolver: the Airflow plugin passes one backed by Airflow's
secrets backends (the workers' Vault works here too); without Airflow it reads ``AIRFLOW_CONN_*``
variables. Fields: extras ``sendgrid_public_key`` (+ ``sendgrid_public_key_previous`` during a
rotation) for SendGrid; login/password (+ extra ``postmark_password_previous``) for Postmark's
basic auth. Missing or unreadable: 503, the cause logged server-side only.
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
from ponton.secrets import ConnectionInfo, ConnectionResolver
from ponton.webhooks.inbox import platform_db, read_body, store_many
from ponton.webhooks.schemas import check_json

router = APIRouter(tags=["mail"])
log = logging.getLogger(__name__)


class Verifier(Protocol):
    def verify(self, body: bytes, headers: Any) -> None: ...

    def raw_events(self, body: bytes) -> list[dict[str, Any]]: ...


def sendgrid_verifier(keys: ConnectionInfo) -> sendgrid.SendGridWebhook:
    extra = keys.extra
    return sendgrid.SendGridWebhook(
        [extra.get("sendgrid_public_key", ""), extra.get("sendgrid_public_key_previous", "")]
    )


def postmark_verifier(keys: ConnectionInfo) -> postmark.PostmarkWebhook:
    return postmark.PostmarkWebhook(
        keys.login or "", [keys.password or "", keys.extra.get("postmark_password_previous", "")]
    )


def _verifier(
    connections: ConnectionResolver, build: Callable[[ConnectionInfo], Verifier]
) -> Verifier:
    """The verifier from the keys connection; ``ConfigError`` (answered 503) when unresolvable."""
    return build(connections.get(settings.mail_webhooks_conn_id()))


async def receive(
    request: Request,
    source: str,
    verifier: Callable[[ConnectionInfo], Verifier],
    dedupe_key: Callable[[dict[str, Any]], str],
) -> dict[str, int]:
    body = await read_body(request)
    try:  # a secrets backend lookup may block (Vault, metadata DB): off the event loop
        checker = await run_in_threadpool(_verifier, request.app.state.connections, verifier)
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
