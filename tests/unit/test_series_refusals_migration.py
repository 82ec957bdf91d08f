"""Migration 0008 re-offers the series writes earlier versions refused for Google and Outlook,
and only those."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ponton.platform import PlatformDB
from ponton.platform.schema import conflicts

pytestmark = pytest.mark.unit

REFUSED = {
    "google override": "event 'w@p' overrides one occurrence of a series; ponton writes whole "
    "series and single events to Google, not single-occurrence overrides: edit the series or "
    "detach the occurrence into its own event",
    "outlook override": "event 'w@p' overrides one occurrence of a series; ponton writes whole "
    "series and single events to Outlook only: fold the change into the series",
    "outlook exdate": "event 'w@p': EXDATE:20260330T070000Z cannot be written to Outlook "
    "(Graph keeps excluded dates as deleted occurrences only)",
    "still refused": "event 'h@p': BYHOUR=9 cannot be written to Outlook (Graph has no BYHOUR)",
}


def test_only_the_refusals_this_version_lifts_are_removed(tmp_path):
    from alembic import command

    db = PlatformDB(f"sqlite:///{tmp_path / 'p.db'}")
    config = db._alembic_config()
    command.upgrade(config, "0007")
    with db.engine.begin() as conn:
        for n, (name, reason) in enumerate(REFUSED.items()):
            conn.execute(
                conflicts.insert().values(
                    kind="refused",
                    fingerprint=f"{n:064d}",
                    platform_uid=name,
                    platform_version={"reason": reason, "hash": "h"},
                )
            )
        conn.execute(
            conflicts.insert().values(
                kind="refused",
                fingerprint="f" * 64,
                platform_uid="settled long ago",
                status="cleared",
                platform_version={"reason": REFUSED["google override"]},
            )
        )
    command.upgrade(config, "head")
    with db.engine.connect() as conn:
        left = set(conn.execute(sa.select(conflicts.c.platform_uid)).scalars())
    assert left == {"still refused", "settled long ago"}
    db.dispose()
