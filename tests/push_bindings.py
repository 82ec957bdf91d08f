"""A binding that already has a push channel, as the webhook tests need one: the channel id the
provider echoes, the hash of its secret (Google's channel token, Graph's clientState), a sync
token, and ``push`` on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ponton.calendars.channels import token_hash
from ponton.platform import PlatformDB
from ponton.platform.schema import calendar_bindings
from ponton.sync import bindings


def add_push_binding(db: PlatformDB, provider: str, channel_id: str, secret: str) -> int:
    binding_id = bindings.add_binding(
        db, provider=provider, source="planning@example.com", resource=f"r-{channel_id}"
    )
    with db.begin() as conn:
        conn.execute(
            calendar_bindings.update()
            .where(calendar_bindings.c.id == binding_id)
            .values(
                channel_id=channel_id,
                channel_token_hash=token_hash(secret),
                channel_expires_at=datetime.now(UTC) + timedelta(days=3),
                sync_token="tok-1",
                options={"push": True},
            )
        )
    return binding_id
