"""Push notifications from Google Calendar and Microsoft Graph.

Both routes authenticate the sender before storing anything: Google's ``X-Goog-Channel-Token`` and
Graph's ``clientState`` are compared (constant time) with the SHA-256 kept in
``calendar_bindings.channel_token_hash``. Headers and bodies are validated first
(:mod:`ponton.webhooks.schemas`); a missing secret is refused before any database access, an
unknown channel or a wrong secret after a single read (403 for both, so the answer tells a guesser
nothing). A Graph batch is all or nothing: every notification must name a known subscription with
its secret, or none is stored. Database work runs in the thread pool so the event loop (shared with
the API server inside Airflow) never waits on it. Verified notifications are stored (deduplicated)
in ``webhook_inbox`` and the import DAG is signalled through :mod:`ponton.webhooks.signal`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from ponton.calendars import channels
from ponton.journal import Journal
from ponton.webhooks import inbox
from ponton.webhooks.schemas import GoogleHeaders, GraphNotification, parse_google, parse_graph
from ponton.webhooks.signal import calendar_changes

router = APIRouter(tags=["calendar"])

GOOGLE_BODY_LIMIT = 16_384  # Google sends headers only; anything big is not Google
GRAPH_BODY_LIMIT = 1_000_000
VALIDATION_TOKEN_LIMIT = 1_024
CHANGE_STATES = ("exists", "not_exists")
NOT_RECOGNISED = "channel not recognised or wrong secret"


def _ack(status: str, code: int = 200) -> JSONResponse:
    return JSONResponse({"status": status}, status_code=code)


@router.post("/google")
async def google_notification(request: Request) -> Response:
    """Google sends one POST per change, headers only; ``sync`` opens every new channel."""
    await inbox.read_body(request, GOOGLE_BODY_LIMIT)
    if not request.headers.get("x-goog-channel-id") or not request.headers.get(
        "x-goog-channel-token"
    ):
        raise HTTPException(status_code=401, detail="channel id and token required")
    notification = parse_google(request.headers)
    status = await run_in_threadpool(_store_google, inbox.platform_db(), notification)
    return _ack(status)


def _store_google(db, notification: GoogleHeaders) -> str:
    binding = channels.binding_for_channel(db, "google", notification.channel_id)
    if binding is None or not channels.token_matches(
        notification.token, binding["channel_token_hash"]
    ):
        raise HTTPException(status_code=403, detail=NOT_RECOGNISED)
    state = notification.resource_state
    if state not in CHANGE_STATES:  # "sync": the channel works, nothing changed yet
        return f"ignored: {state or 'no state'}"
    payload = notification.model_dump(exclude={"token"})
    # Without a message number nothing identifies a replay: each such post is its own row.
    number = notification.message_number or f"unnumbered-{uuid.uuid4().hex}"
    dedupe_key = f"{notification.channel_id}:{number}"
    if not inbox.store(db, "google", dedupe_key, payload, binding_id=binding["id"]):
        return "duplicate"
    calendar_changes.poke(binding["id"])
    return "stored"


@router.post("/graph")
async def graph_notification(request: Request) -> Response:
    """Change and lifecycle notifications; also the validation handshake of a new subscription."""
    validation = request.query_params.get("validationToken")
    if validation is not None:
        if len(validation) > VALIDATION_TOKEN_LIMIT:
            raise HTTPException(status_code=400, detail="validationToken too long")
        return PlainTextResponse(validation, status_code=200)
    body = await inbox.read_body(request, GRAPH_BODY_LIMIT)
    outcomes = await run_in_threadpool(_receive_graph, body)
    return JSONResponse({"status": outcomes}, status_code=202)


def _receive_graph(body: bytes) -> list[str]:
    """Parsing a megabyte is CPU work too: all of it runs in the thread pool, off the loop."""
    batch = parse_graph(body)
    if not all(n.clientState and n.subscriptionId for n in batch.value):
        raise HTTPException(status_code=401, detail="subscriptionId and clientState required")
    return _store_graph_batch(inbox.platform_db(), batch.value)


def _store_graph_batch(db, notifications: list[GraphNotification]) -> list[str]:
    """Authenticate every notification with one query, then store all in one transaction."""
    bindings = channels.bindings_for_channels(
        db, "outlook", sorted({n.subscriptionId for n in notifications})
    )
    for notification in notifications:
        binding = bindings.get(notification.subscriptionId)
        if binding is None or not channels.token_matches(
            notification.clientState, binding["channel_token_hash"]
        ):
            raise HTTPException(status_code=403, detail=NOT_RECOGNISED)
    items = [
        (_graph_key(n, payload := n.stored_payload()), payload, bindings[n.subscriptionId]["id"])
        for n in notifications
    ]
    outcomes: list[str] = []
    changed: set[int] = set()
    with db.begin() as conn:
        new = inbox.store_batch(db, "graph", items, conn=conn)
        for notification, (key, _, binding_id) in zip(notifications, items, strict=True):
            if inbox.bounded_key(key) not in new:
                outcomes.append("duplicate")
                continue
            new.discard(inbox.bounded_key(key))  # a key repeated inside the batch counts once
            changed.add(binding_id)
            if notification.lifecycleEvent:
                _handle_lifecycle(db, conn, binding_id, notification.lifecycleEvent)
            outcomes.append(notification.lifecycleEvent or "stored")
    for binding_id in sorted(changed):
        calendar_changes.poke(binding_id)
    return outcomes


def _graph_key(notification: GraphNotification, payload: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
    return f"{notification.subscriptionId}:{notification.id or digest}"


def _handle_lifecycle(db, conn, binding_id: int, event: str) -> None:
    """reauthorizationRequired: renew now; subscriptionRemoved: recreate and resync; missed:
    resync (notifications were lost, the delta token still knows what changed but a full
    listing is the safe answer)."""
    if event == "reauthorizationRequired":
        channels.mark_for_renewal(conn, binding_id)
    elif event == "subscriptionRemoved":
        channels.save_channel(conn, binding_id, channel_id=None)
        channels.mark_for_full_resync(conn, binding_id)
    elif event == "missed":
        channels.mark_for_full_resync(conn, binding_id)
    Journal(db).record(
        "outlook",
        f"lifecycle_{event}",
        outcome="changed",
        object_type="calendar_binding",
        object_id=binding_id,
        conn=conn,
    )
