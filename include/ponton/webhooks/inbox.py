"""The webhook inbox: notifications stored once, processed later by DAGs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from fastapi import HTTPException, Request

from ponton.platform import PlatformDB
from ponton.platform.db import insert_for
from ponton.platform.schema import utcnow, webhook_inbox

MAX_BODY_BYTES = 1_000_000


@lru_cache(maxsize=1)
def platform_db() -> PlatformDB:
    """The platform DB of this API server process, opened on first use (never at import)."""
    return PlatformDB()


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing with 413 anything over ``limit`` before reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail=f"body over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise HTTPException(status_code=413, detail=f"body over {limit} bytes")
    return bytes(body)


def store(
    db: PlatformDB,
    source: str,
    dedupe_key: str,
    payload: Mapping[str, Any],
    binding_id: int | None = None,
) -> bool:
    """Insert one notification; False when ``(source, dedupe_key)`` is already stored (a replay)."""
    return store_many(db, source, [(dedupe_key, payload)], binding_id) == 1


def store_many(
    db: PlatformDB,
    source: str,
    items: Sequence[tuple[str, Mapping[str, Any]]],
    binding_id: int | None = None,
) -> int:
    """Insert ``(dedupe_key, payload)`` pairs in one transaction; the number that were new."""
    if not items:
        return 0
    received_at = utcnow()
    statement = (
        insert_for(db.dialect, webhook_inbox)
        .on_conflict_do_nothing(index_elements=["source", "dedupe_key"])
        .returning(webhook_inbox.c.id)
    )
    rows = [
        {
            "source": source,
            "dedupe_key": key,
            "payload": dict(payload),
            "binding_id": binding_id,
            "received_at": received_at,
        }
        for key, payload in items
    ]
    with db.begin() as conn:
        return len(conn.execute(statement, rows).all())


def pending(db: PlatformDB, source: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Unprocessed notifications of one source, oldest first."""
    query = (
        sa.select(webhook_inbox)
        .where(webhook_inbox.c.source == source, webhook_inbox.c.processed_at.is_(None))
        .order_by(webhook_inbox.c.id)
        .limit(limit)
    )
    with db.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def mark_processed(db: PlatformDB, ids: list[int]) -> None:
    if not ids:
        return
    with db.begin() as conn:
        conn.execute(
            webhook_inbox.update().where(webhook_inbox.c.id.in_(ids)).values(processed_at=utcnow())
        )
