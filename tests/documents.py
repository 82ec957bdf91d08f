"""Test helpers for published documents: a mission asset registered as the platform would."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ponton.platform import PlatformDB
from ponton.platform.schema import documents, missions


def register_asset(
    db: PlatformDB, code: str, source: Path, monkeypatch, name: str = "plan.pdf"
) -> str:
    """A ``documents`` row for mission ``code`` read from ``source``, whose folder becomes the
    document folder sources are fenced to; returns its storage key."""
    monkeypatch.setenv("PONTON_DOCUMENT_ROOTS", str(source.parent))
    key = f"missions/{code}/{name}"
    with db.begin() as conn:
        mission_id = conn.execute(sa.select(missions.c.id).where(missions.c.code == code)).scalar()
        conn.execute(
            documents.insert(),
            {
                "mission_id": mission_id,
                "kind": "asset",
                "name": name,
                "storage_key": key,
                "content_type": "application/pdf",
                "source_path": str(source),
            },
        )
    return key
