"""Push channels (Google) and subscriptions (Graph) of calendar bindings: the secret handling, the
renewal decision (pure), the create/renew/stop service over any backend implementing
:class:`~ponton.sync.port.PushChannels` (called by the channel DAG's operator and by
``ponton sync channel``), and the few updates of ``calendar_bindings`` that webhooks make.

The channel token / clientState is a secret shared with the provider only: ponton keeps its SHA-256
in ``channel_token_hash`` and compares digests in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from ponton.errors import ConfigError
from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.platform.schema import calendar_bindings, utcnow
from ponton.sync.bindings import Binding, load_binding
from ponton.sync.port import Channel, PushChannels, RemoteCalendar
from ponton.sync.status import SyncStatus

PUSH_PROVIDERS = ("google", "outlook")
# Longest lifetime each provider grants; a binding may ask for less with option "channel_hours".
MAX_LIFETIME = {"google": timedelta(days=7), "outlook": timedelta(minutes=10080)}
WEBHOOK_BASE_URL_HELP = "docs/integrations/google-calendar.md#webhooks"


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


# -- the service: create / renew / stop ---------------------------------------------------------
def reconcile_channel(
    db: PlatformDB,
    binding_id: int,
    open_calendar: Callable[[Binding], RemoteCalendar],
    *,
    webhook_base_url: str,
    journal: Journal,
    new_token: Callable[[], str] = new_token,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Bring the push channel of ``binding_id`` in line with what the binding wants; one journal
    row per create, renew or stop. Returns a small summary (action, reason, expiry).

    Idempotent: a rerun after a crash between the provider call and the commit finds the channel
    still missing (or still due) and opens a fresh one; the orphan expires on its own."""
    row = binding(db, binding_id)
    if row is None:
        return {"binding_id": binding_id, "action": "none", "reason": "binding deleted"}
    decision = decide(row, now or datetime.now(UTC))
    summary = {"binding_id": row["id"], "action": decision.action, "reason": decision.reason}
    if decision.action in ("keep", "none"):
        return summary
    base = (webhook_base_url or "").rstrip("/")
    if decision.action != "stop" and not base.startswith("https://"):
        raise ConfigError(
            f"Airflow variable ponton_webhook_base_url is {base!r}; set it to the public HTTPS "
            "URL of the webhook app (e.g. https://hooks.example.com/ponton), see "
            + WEBHOOK_BASE_URL_HELP
        )
    with db.engine.connect() as conn:
        calendar = open_calendar(load_binding(conn, binding_id))
    if not isinstance(calendar, PushChannels):
        raise ConfigError(f"binding {binding_id}: provider {row['provider']!r} has no push")
    current = (
        Channel(
            row["channel_id"], row["channel_expires_at"] or utcnow(), row["channel_resource_id"]
        )
        if row["channel_id"]
        else None
    )
    steps = _ChannelSteps(row, calendar, base, new_token)
    step = {"create": steps.create, "renew": steps.renew, "stop": steps.stop}[decision.action]
    changes = step(current)
    with db.begin() as conn:
        save_channel(conn, row["id"], **changes)
        journal.record(
            row["provider"],
            f"channel_{decision.action}",
            outcome="changed",
            object_type="calendar_binding",
            object_id=row["id"],
            details={
                "reason": decision.reason,
                "channel_id": changes.get("channel_id"),
                "expires_at": _iso(changes.get("expires_at")),
            },
            conn=conn,
        )
    return summary | {"expires_at": _iso(changes.get("expires_at"))}


@dataclass
class _ChannelSteps:
    """create / renew / stop over the PushChannels protocol; each returns the new channel columns
    of the binding."""

    row: dict[str, Any]
    calendar: PushChannels
    base_url: str
    new_token: Callable[[], str]

    def create(self, current: Channel | None = None) -> dict[str, Any]:
        token = self.new_token()
        opened = self.calendar.open_channel(
            channel_id=f"ponton-{self.row['id']}-{secrets.token_hex(16)}",
            address=f"{self.base_url}/webhooks/{self.calendar.webhook_route}",
            token=token,
            expires_at=datetime.now(UTC) + lifetime(self.row),
        )
        return {
            "channel_id": opened.channel_id,
            "resource_id": opened.resource_id,
            "token_digest": token_hash(token),
            "expires_at": opened.expires_at,
        }

    def renew(self, current: Channel | None) -> dict[str, Any]:
        if current is not None:
            expires_at = datetime.now(UTC) + lifetime(self.row)
            renewed = self.calendar.renew_channel(current, expires_at=expires_at)
            if renewed is not None:
                return {
                    "channel_id": renewed.channel_id,
                    "resource_id": renewed.resource_id,
                    "token_digest": self.row["channel_token_hash"],
                    "expires_at": renewed.expires_at,
                }
        # Not extendable (Google) or gone (Graph): open the next one, then close the old one.
        fresh = self.create()
        if current is not None:
            self.stop(current)
        return fresh

    def stop(self, current: Channel | None) -> dict[str, Any]:
        if current is not None:
            self.calendar.close_channel(current)
        return {"channel_id": None}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


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


def bindings_for_channels(
    db: PlatformDB, provider: str, channel_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The bindings holding any of ``channel_ids``, by channel id, in one query."""
    query = sa.select(calendar_bindings).where(
        calendar_bindings.c.provider == provider, calendar_bindings.c.channel_id.in_(channel_ids)
    )
    with db.engine.connect() as conn:
        return {row["channel_id"]: dict(row) for row in conn.execute(query).mappings()}


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
