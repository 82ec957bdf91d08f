"""ICS publishing: the platform's planning as subscribable feeds, one per resource and mission,
and each resource's busy time (:mod:`ponton.ics.availability`).

Feeds are written through the storage port (the local folder by default), so Google Calendar and
Outlook users can subscribe to them. Output is reproducible — DTSTAMP is the newest change of the
feed's events — so an unchanged planning gives identical bytes and nothing is uploaded.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ponton.ics.availability import availability_feeds
from ponton.ics.export import export_calendar
from ponton.journal import Journal
from ponton.model import Event, event_key
from ponton.platform import PlatformDB
from ponton.platform.planning import row_to_event, stamp_published
from ponton.platform.schema import missions, planning_events, resources
from ponton.privacy import shown
from ponton.storage.hashing import digest_bytes
from ponton.storage.port import Storage

CONTENT_TYPE = "text/calendar; charset=utf-8"
PAST_DAYS = 30
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: The polling interval published feeds advertise: the publish DAG runs every 30 minutes.
REFRESH = timedelta(minutes=30)


@dataclass(frozen=True)
class Feed:
    key: str
    name: str
    events: tuple[Event, ...]

    def render(self) -> bytes:
        stamps = [e.last_modified for e in self.events if e.last_modified]
        return export_calendar(
            self.events, self.name, dtstamp=max(stamps, default=EPOCH), refresh=REFRESH
        )


@dataclass(frozen=True)
class FeedResult:
    key: str
    backend: str
    events: int
    outcome: str  # "uploaded" or "unchanged"
    bytes_uploaded: int


def planning_feeds(db: PlatformDB, now: datetime | None = None) -> list[Feed]:
    """One feed per resource and per mission with live planning from ``PAST_DAYS`` ago on."""
    since = (now or datetime.now(UTC)) - timedelta(days=PAST_DAYS)
    query = (
        sa.select(
            planning_events,
            resources.c.key.label("resource_key"),
            resources.c.name.label("resource_name"),
            missions.c.code.label("mission_code"),
            missions.c.title.label("mission_title"),
        )
        .join(resources, resources.c.id == planning_events.c.resource_id)
        .outerjoin(missions, missions.c.id == planning_events.c.mission_id)
        .where(
            planning_events.c.deleted_at.is_(None),
            sa.or_(
                planning_events.c.recurrence.is_not(None),
                planning_events.c.end_at >= since,
                planning_events.c.end_date >= since.date(),
            ),
        )
        .order_by(planning_events.c.uid, planning_events.c.recurrence_id)
    )
    by_resource: dict[tuple[str, str], list[Event]] = defaultdict(list)
    by_mission: dict[tuple[str, str], list[Event]] = defaultdict(list)
    with db.begin() as conn:
        for row in conn.execute(query).mappings().all():
            key = event_key(row["uid"], row["recurrence_id"])
            event = shown(stamp_published(conn, key, row_to_event(row)))
            by_resource[(row["resource_key"], row["resource_name"])].append(event)
            if row["mission_code"]:
                by_mission[(row["mission_code"], row["mission_title"])].append(event)
    feeds = [
        Feed(f"feeds/resources/{key}.ics", f"Planning — {name}", tuple(events))
        for (key, name), events in sorted(by_resource.items())
    ]
    feeds += [
        Feed(f"feeds/missions/{code}.ics", f"Mission {code} — {title}", tuple(events))
        for (code, title), events in sorted(by_mission.items())
    ]
    return feeds


def publish_feeds(
    db: PlatformDB, storages: list[Storage], journal: Journal, now: datetime | None = None
) -> list[FeedResult]:
    """Render every feed and store the ones whose bytes changed, on every backend.

    A private event appears in the planning feeds as "Busy" and its time only."""
    results = []
    for feed in [*planning_feeds(db, now), *availability_feeds(db, now)]:
        data = feed.render()
        for storage in storages:
            current = storage.head(feed.key)
            ours = digest_bytes(data, storage.algorithm).checksum
            if current is not None and current.checksums.get(storage.algorithm) == ours:
                results.append(FeedResult(feed.key, storage.name, len(feed.events), "unchanged", 0))
                continue
            receipt = storage.put(
                feed.key,
                io.BytesIO(data),
                content_type=CONTENT_TYPE,
                metadata={"events": str(len(feed.events))},
            )
            results.append(
                FeedResult(feed.key, storage.name, len(feed.events), "uploaded", receipt.size)
            )
            journal.record(
                "ics",
                "publish_feed",
                outcome="changed",
                object_type="feed",
                object_id=feed.key,
                details={
                    "backend": storage.name,
                    "events": len(feed.events),
                    "size": receipt.size,
                    "version": receipt.remote_version_id,
                },
            )
    return results
