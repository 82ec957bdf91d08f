"""The webhook inbox: notifications stored once, processed later by DAGs."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from fastapi import HTTPException, Request

from ponton.platform import PlatformDB
from ponton.platform.db import insert_for
from ponton.platform.schema import utcnow, webhook_inbox

MAX_BODY_BYTES = 1_000_000
MAX_KEY = 200  # the column holds 300; a longer key becomes a digest, so no input breaks the insert


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


def bounded_key(key: str) -> str:
    """``key`` itself when short enough, else a stable digest of it (replays still dedupe)."""
    if len(key) <= MAX_KEY:
        return key
    return f"sha256:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


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
    return len(store_batch(db, source, [(key, payload, binding_id) for key, payload in items]))


def store_batch(
    db: PlatformDB,
    source: str,
    items: Sequence[tuple[str, Mapping[str, Any], int | None]],
    conn: sa.Connection | None = None,
) -> set[str]:
    """Insert ``(dedupe_key, payload, binding_id)`` triples all at once or not at all; the keys
    that were new (others are replays). Keys are bounded with :func:`bounded_key`."""
    if not items:
        return set()
    if conn is None:
        with db.begin() as own:
            return store_batch(db, source, items, conn=own)
    received_at = utcnow()
    statement = (
        insert_for(db.dialect, webhook_inbox)
        .on_conflict_do_nothing(index_elements=["source", "dedupe_key"])
        .returning(webhook_inbox.c.dedupe_key)
    )
    rows = [
        {
            "source": source,
            "dedupe_key": bounded_key(key),
            "payload": dict(payload),
            "binding_id": binding_id,
            "received_at": received_at,
        }
        for key, payload, binding_id in items
    ]
    return {row.dedupe_key for row in conn.execute(statement, rows)}


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
