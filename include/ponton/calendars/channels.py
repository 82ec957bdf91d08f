"""Push channels (Google) and subscriptions (Graph) of calendar bindings: the secret handling, the
renewal decision (pure) and the few updates of ``calendar_bindings`` that webhooks and the channel
DAG make.

The channel token / clientState is a secret shared with the provider only: ponton keeps its SHA-256
in ``channel_token_hash`` and compares digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from ponton.platform import PlatformDB
from ponton.platform.schema import calendar_bindings
from ponton.sync.status import SyncStatus

PUSH_PROVIDERS = ("google", "outlook")
# Longest lifetime each provider grants; a binding may ask for less with option "channel_hours".
MAX_LIFETIME = {"google": timedelta(days=7), "outlook": timedelta(minutes=10080)}
# Graph caps subscriptions per resource type; ponton subscribes to events only.
GRAPH_MAX_MINUTES = {"events": 10080, "messages": 10080, "contacts": 10080}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, stored_hash: str | None) -> bool:
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)


def wants_push(binding: dict[str, Any]) -> bool:
    options = binding.get("options") or {}
    return bool(
        binding.get("enabled")
        and binding.get("provider") in PUSH_PROVIDERS
        and options.get("push", False)
    )


def lifetime(binding: dict[str, Any]) -> timedelta:
    """What ponton asks for: the binding's ``channel_hours`` within the provider's maximum."""
    limit = MAX_LIFETIME[binding["provider"]]
    hours = (binding.get("options") or {}).get("channel_hours")
    return min(timedelta(hours=float(hours)), limit) if hours else limit


Action = Literal["create", "renew", "stop", "keep", "none"]


@dataclass(frozen=True)
class ChannelDecision:
    binding_id: int
    action: Action
    reason: str


def decide(binding: dict[str, Any], now: datetime) -> ChannelDecision:
    """Create a missing channel, renew one past half its lifetime, stop one nobody wants."""
    has_channel = bool(binding.get("channel_id"))
    binding_id = binding["id"]
    if not wants_push(binding):
        if has_channel:
            return ChannelDecision(binding_id, "stop", "binding no longer wants push")
        return ChannelDecision(binding_id, "none", "push not wanted")
    expires = binding.get("channel_expires_at")
    if not has_channel:
        return ChannelDecision(binding_id, "create", "no channel")
    if expires is None or expires <= now:
        return ChannelDecision(binding_id, "renew", "expired or flagged for renewal")
    if expires - now <= lifetime(binding) / 2:
        return ChannelDecision(binding_id, "renew", "past half its lifetime")
    return ChannelDecision(binding_id, "keep", f"valid until {expires.isoformat()}")


# -- calendar_bindings updates ----------------------------------------------------------------
def binding(db: PlatformDB, binding_id: int) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(
            sa.select(calendar_bindings).where(calendar_bindings.c.id == binding_id)
        ).mappings()
        found = row.first()
    return dict(found) if found else None


def binding_for_channel(db: PlatformDB, provider: str, channel_id: str) -> dict[str, Any] | None:
    query = sa.select(calendar_bindings).where(
        calendar_bindings.c.provider == provider, calendar_bindings.c.channel_id == channel_id
    )
    with db.engine.connect() as conn:
        found = conn.execute(query).mappings().first()
    return dict(found) if found else None


def channel_candidates(db: PlatformDB) -> list[int]:
    """Bindings the channel DAG must look at: push providers wanting push or holding a channel."""
    query = (
        sa.select(calendar_bindings)
        .where(calendar_bindings.c.provider.in_(PUSH_PROVIDERS))
        .order_by(calendar_bindings.c.id)
    )
    with db.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return [r["id"] for r in rows if wants_push(r) or r["channel_id"]]


def save_channel(
    conn: sa.Connection,
    binding_id: int,
    *,
    channel_id: str | None,
    resource_id: str | None = None,
    token_digest: str | None = None,
    expires_at: datetime | None = None,
) -> None:
    SyncStatus(conn, binding_id).save_channel(
        channel_id=channel_id,
        resource_id=resource_id,
        token_digest=token_digest,
        expires_at=expires_at,
    )


def mark_for_renewal(conn: sa.Connection, binding_id: int) -> None:
    """The channel DAG renews a channel whose expiry has passed, on its next run."""
    SyncStatus(conn, binding_id).mark_channel_for_renewal()


def mark_for_full_resync(conn: sa.Connection, binding_id: int) -> None:
    """Without a sync token the next import lists the whole window."""
    SyncStatus(conn, binding_id).reset_cursor()
