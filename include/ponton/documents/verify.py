"""Drift check (as ``rclone check``): compare every destination with the ledger.

For each document the ledger says a destination holds, ``head`` the object: *missing* when it is
gone, *changed* when the hash the destination reports is not the one recorded at publish time
(our SHA-256's counterpart, or the service's hash of what it stored where it rewrites files).
Objects under ``missions/`` that no ledger row names, or a name held twice, are *extra*. With
``repair`` the missions whose documents are missing or changed are published again to that
destination (rendering the roadmap even when its inputs did not change). One journal line per
destination.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import sqlalchemy as sa

from ponton.documents.ledger import Destination, claim_legacy_rows
from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.platform.schema import document_versions, documents, missions, utcnow
from ponton.storage.port import same_checksum

PUBLISHED_PREFIX = "missions/"


@dataclass
class DestinationCheck:
    conn_id: str
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    repaired: int = 0


@dataclass
class DriftReport:
    destinations: list[DestinationCheck] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        found = self.destinations
        return {
            "checked": sum(d.checked for d in found),
            "missing": sum(len(d.missing) for d in found),
            "changed": sum(len(d.changed) for d in found),
            "extra": sum(len(d.extra) for d in found),
            "repaired": sum(d.repaired for d in found),
        }

    def count(self, name: str) -> int:
        return self.totals()[name]

    @property
    def problems(self) -> int:
        """What remains after repairs: missing and changed objects not repaired, plus extras."""
        t = self.totals()
        return t["missing"] + t["changed"] - t["repaired"] + t["extra"]

    def as_dict(self) -> dict:
        return self.totals() | {"destinations": [asdict(d) for d in self.destinations]}


def _ledger(db: PlatformDB, destination: Destination) -> list:
    """The latest kept version of every document on this destination, with its key and mission."""
    newest = (
        sa.select(
            document_versions.c.document_id, sa.func.max(document_versions.c.version).label("v")
        )
        .where(
            document_versions.c.conn_id == destination.conn_id,
            document_versions.c.root == destination.root,
        )
        .group_by(document_versions.c.document_id)
        .subquery()
    )
    with db.engine.connect() as conn:
        return conn.execute(
            sa.select(document_versions, documents.c.storage_key, missions.c.code)
            .join(
                newest,
                sa.and_(
                    newest.c.document_id == document_versions.c.document_id,
                    newest.c.v == document_versions.c.version,
                ),
            )
            .join(documents, documents.c.id == document_versions.c.document_id)
            .join(missions, missions.c.id == documents.c.mission_id)
            .where(
                document_versions.c.conn_id == destination.conn_id,
                document_versions.c.root == destination.root,
            )
            .order_by(documents.c.storage_key)
        ).all()


def check_destination(
    db: PlatformDB, destination: Destination
) -> tuple[DestinationCheck, dict[str, set[int]]]:
    """The drift of one destination, and the documents (by mission) to publish again."""
    claim_legacy_rows(db, destination)
    storage, result = destination.storage, DestinationCheck(destination.conn_id)
    rows, verified = _ledger(db, destination), []
    stale: dict[str, set[int]] = {}
    for row in rows:
        result.checked += 1
        current = storage.head(row.storage_key)
        reported = current.checksums.get(storage.algorithm) if current else None
        if current is None:
            result.missing.append(row.storage_key)
        elif not (
            same_checksum(storage.algorithm, row.checksum, reported)
            if row.checksum
            else current.size == row.size  # a row written before checksums were recorded
        ):
            result.changed.append(row.storage_key)
        else:
            verified.append(row.id)
            continue
        stale.setdefault(row.code, set()).add(row.document_id)
    listed = [k for k in storage.list_keys() if k.startswith(PUBLISHED_PREFIX)]
    known = {destination_key(destination, r.storage_key) for r in rows}
    counts = Counter(destination_key(destination, k) for k in listed)
    result.extra = sorted(
        {k for k in listed if destination_key(destination, k) not in known}
        | {k for k in listed if counts[destination_key(destination, k)] > 1}
    )
    if verified:
        with db.begin() as conn:
            conn.execute(
                sa.update(document_versions)
                .where(document_versions.c.id.in_(verified))
                .values(verified_at=utcnow())
            )
    return result, stale


def destination_key(destination: Destination, key: str) -> str:
    return key if destination.storage.case_sensitive else key.casefold()


def verify_destinations(
    db: PlatformDB,
    destinations: list[Destination],
    journal: Journal,
    *,
    repair: bool = False,
) -> DriftReport:
    """Check every destination against the ledger; with ``repair``, publish again what drifted."""
    from ponton.documents.publish import publish_mission_assets, publish_roadmap

    report = DriftReport()
    for destination in destinations:
        result, stale = check_destination(db, destination)
        if repair:
            for code, document_ids in sorted(stale.items()):
                published = publish_roadmap(db, [destination], journal, code, force=True)
                published += publish_mission_assets(db, [destination], journal, code)
                result.repaired += sum(
                    p.document_id in document_ids and p.outcome in ("uploaded", "adopted")
                    for p in published
                )
        report.destinations.append(result)
        remaining = len(result.missing) + len(result.changed) - result.repaired + len(result.extra)
        journal.record(
            "documents",
            "verify",
            outcome="error" if remaining else "ok",
            object_type="destination",
            object_id=destination.conn_id,
            details={
                "root": destination.root,
                "checked": result.checked,
                "missing": result.missing[:20],
                "changed": result.changed[:20],
                "extra": result.extra[:20],
                "repaired": result.repaired,
            },
        )
    return report


def recorded_conn_ids(db: PlatformDB) -> list[str]:
    """Every connection the ledger has published to: what ``verify`` checks by default."""
    with db.engine.connect() as conn:
        query = sa.select(document_versions.c.conn_id).distinct()
        return sorted(conn.execute(query.order_by(document_versions.c.conn_id)).scalars())
