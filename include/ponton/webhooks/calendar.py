"""Push notifications from Google Calendar and Microsoft Graph.

Both routes authenticate the sender before storing anything: Google's ``X-Goog-Channel-Token`` and
Graph's ``clientState`` are compared (constant time) with the SHA-256 kept in
``calendar_bindings.channel_token_hash``. A missing secret is refused before any database access,
a wrong one after a single read; only verified notifications are stored (deduplicated) in
``webhook_inbox``, and the import DAG is signalled through :mod:`ponton.webhooks.signal`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from ponton.calendars import channels
from ponton.journal import Journal
from ponton.webhooks import inbox
from ponton.webhooks.signal import calendar_changes

router = APIRouter(tags=["calendar"])

GOOGLE_BODY_LIMIT = 16_384  # Google sends headers only; anything big is not Google
GRAPH_BODY_LIMIT = 1_000_000
CHANGE_STATES = ("exists", "not_exists")


def _ack(status: str, code: int = 200) -> JSONResponse:
    return JSONResponse({"status": status}, status_code=code)


@router.post("/google")
async def google_notification(request: Request) -> Response:
    """Google sends one POST per change, headers only; ``sync`` opens every new channel."""
    await inbox.read_body(request, GOOGLE_BODY_LIMIT)
    headers = request.headers
    channel_id = headers.get("x-goog-channel-id")
    token = headers.get("x-goog-channel-token")
    if not channel_id or not token:
        raise HTTPException(status_code=401, detail="channel id and token required")
    db = inbox.platform_db()
    binding = channels.binding_for_channel(db, "google", channel_id)
    if binding is None:
        return _ack("dropped: unknown channel")
    if not channels.token_matches(token, binding["channel_token_hash"]):
        raise HTTPException(status_code=403, detail="wrong channel token")
    state = headers.get("x-goog-resource-state", "")
    if state not in CHANGE_STATES:  # "sync": the channel works, nothing changed yet
        return _ack(f"ignored: {state or 'no state'}")
    payload = {
        "channel_id": channel_id,
        "resource_id": headers.get("x-goog-resource-id"),
        "resource_state": state,
        "message_number": headers.get("x-goog-message-number"),
    }
    dedupe_key = f"{channel_id}:{payload['message_number']}"
    if not inbox.store(db, "google", dedupe_key, payload, binding_id=binding["id"]):
        return _ack("duplicate")
    calendar_changes.poke(binding["id"])
    return _ack("stored")


@router.post("/graph")
async def graph_notification(request: Request) -> Response:
    """Change and lifecycle notifications; also the validation handshake of a new subscription."""
    validation = request.query_params.get("validationToken")
    if validation is not None:
        return PlainTextResponse(validation, status_code=200)
    body = await inbox.read_body(request, GRAPH_BODY_LIMIT)
    try:
        notifications = json.loads(body or b"{}").get("value", [])
    except (ValueError, AttributeError) as exc:
        raise HTTPException(status_code=400, detail="body is not a Graph notification") from exc
    if not notifications or not all(
        isinstance(n, dict) and n.get("clientState") and n.get("subscriptionId")
        for n in notifications
    ):
        raise HTTPException(status_code=401, detail="subscriptionId and clientState required")
    db = inbox.platform_db()
    outcomes: list[str] = []
    for notification in notifications:
        binding = channels.binding_for_channel(db, "outlook", notification["subscriptionId"])
        if binding is None:
            outcomes.append("dropped")
            continue
        if not channels.token_matches(notification["clientState"], binding["channel_token_hash"]):
            raise HTTPException(status_code=403, detail="wrong clientState")
        outcomes.append(_store_graph(db, binding, notification))
    return JSONResponse({"status": outcomes}, status_code=202)


def _store_graph(db, binding: dict[str, Any], notification: dict[str, Any]) -> str:
    safe = {k: v for k, v in notification.items() if k != "clientState"}
    digest = hashlib.sha256(json.dumps(safe, sort_keys=True).encode()).hexdigest()[:32]
    dedupe_key = f"{notification['subscriptionId']}:{notification.get('id') or digest}"
    if not inbox.store(db, "graph", dedupe_key, safe, binding_id=binding["id"]):
        return "duplicate"
    lifecycle = notification.get("lifecycleEvent")
    if lifecycle:
        _handle_lifecycle(db, binding, lifecycle)
    calendar_changes.poke(binding["id"])
    return lifecycle or "stored"


def _handle_lifecycle(db, binding: dict[str, Any], event: str) -> None:
    """reauthorizationRequired: renew now; subscriptionRemoved: recreate and resync; missed:
    resync (notifications were lost, the delta token still knows what changed but a full
    listing is the safe answer)."""
    with db.begin() as conn:
        if event == "reauthorizationRequired":
            channels.mark_for_renewal(conn, binding["id"])
        elif event == "subscriptionRemoved":
            channels.save_channel(conn, binding["id"], channel_id=None)
            channels.mark_for_full_resync(conn, binding["id"])
        elif event == "missed":
            channels.mark_for_full_resync(conn, binding["id"])
        Journal(db).record(
            "outlook",
            f"lifecycle_{event}",
            outcome="changed",
            object_type="calendar_binding",
            object_id=binding["id"],
            conn=conn,
        )
