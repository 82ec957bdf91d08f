"""The publication ledger: which bytes each destination holds, per document.

A destination is a storage connection and the root it writes under (bucket and prefix, folder,
shared drive, site library). Versions, fingerprints and journal lines are keyed by destination,
so publishing to N destinations is N independent, verified, idempotent deliveries: a second
bucket, a second site or a local copy beside an S3 one each get their own ``document_versions``.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import asdict, dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.platform.schema import document_versions, utcnow
from ponton.storage import Receipt, Storage
from ponton.storage.port import ObjectNotFound, PrunableVersions


@dataclass(frozen=True, slots=True, kw_only=True)
class Retention:
    """How many versions of a document a destination keeps, and for how long at least:
    a version is pruned only when it is beyond ``keep`` *and* older than ``min_age_days``."""

    keep: int | None = None
    min_age_days: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    conn_id: str
    storage: Storage
    retention: Retention = field(default_factory=Retention)

    @property
    def root(self) -> str:
        return self.storage.location

    @property
    def tag(self) -> str:
        """A short stable name of (connection, root), for cursor names."""
        return hashlib.sha256(f"{self.conn_id}\n{self.root}".encode()).hexdigest()[:16]

    def same_key(self, a: str, b: str) -> bool:
        return a == b if self.storage.case_sensitive else a.casefold() == b.casefold()


@dataclass(frozen=True, slots=True)
class Published:
    """One document on one destination after a publish attempt; small enough for XCom."""

    document_id: int
    conn_id: str
    backend: str
    outcome: str  # uploaded | unchanged | adopted
    version: int
    sha256: str
    bytes_uploaded: int
    remote_id: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def _where(destination: Destination, document_id: int | None = None):
    clauses = [
        document_versions.c.conn_id == destination.conn_id,
        document_versions.c.root == destination.root,
    ]
    if document_id is not None:
        clauses.append(document_versions.c.document_id == document_id)
    return sa.and_(*clauses)


def claim_legacy_rows(db: PlatformDB, destination: Destination) -> None:
    """Rows written before destinations were recorded (empty root) belong to the connection's
    current root; claimed by the first publish or verify that meets them, for the documents that
    have no row at that root yet."""
    current = sa.select(document_versions.c.document_id).where(_where(destination))
    legacy = sa.and_(
        document_versions.c.conn_id == destination.conn_id,
        document_versions.c.root == "",
        document_versions.c.document_id.not_in(current.scalar_subquery()),
    )
    with db.engine.connect() as conn:  # a read first: after the first claim there is nothing left
        if conn.execute(sa.select(document_versions.c.id).where(legacy).limit(1)).first() is None:
            return
    with db.begin() as conn:
        conn.execute(sa.update(document_versions).where(legacy).values(root=destination.root))


def latest(conn: sa.Connection, document_id: int, destination: Destination):
    return conn.execute(
        sa.select(document_versions)
        .where(_where(destination, document_id))
        .order_by(document_versions.c.version.desc())
        .limit(1)
    ).first()


def record(
    db: PlatformDB,
    journal: Journal,
    *,
    document_id: int,
    destination: Destination,
    receipt: Receipt,
    outcome: str,
) -> Published:
    """One transaction: the version row (new, or an earlier one of the same bytes moved up) and
    its journal line."""
    storage = destination.storage
    with db.begin() as conn:
        previous = latest(conn, document_id, destination)
        version = (previous.version if previous else 0) + 1
        values = {
            "version": version,
            "size": receipt.size,
            "checksum": receipt.checksum,
            "remote_id": receipt.remote_id,
            "remote_version_id": receipt.remote_version_id,
            "published_at": utcnow(),
            "verified_at": utcnow(),
            "pruned_at": None,
        }
        same_bytes = sa.and_(
            _where(destination, document_id), document_versions.c.sha256 == receipt.sha256
        )
        moved_up = conn.execute(sa.update(document_versions).where(same_bytes).values(values))
        if not moved_up.rowcount:
            conn.execute(
                document_versions.insert(),
                values
                | {
                    "document_id": document_id,
                    "backend": storage.name,
                    "conn_id": destination.conn_id,
                    "root": destination.root,
                    "sha256": receipt.sha256,
                },
            )
        journal.record(
            storage.name,
            "publish",
            outcome="changed",
            object_type="document",
            object_id=document_id,
            details={
                "destination": destination.conn_id,
                "key": receipt.key,
                "version": version,
                "sha256": receipt.sha256,
                "size": receipt.size,
                "remote_version_id": receipt.remote_version_id,
                "how": outcome,
            },
            conn=conn,
        )
    uploaded = receipt.size if outcome == "uploaded" else 0
    return Published(
        document_id,
        destination.conn_id,
        storage.name,
        outcome,
        version,
        receipt.sha256,
        uploaded,
        receipt.remote_id,
    )


def skipped(
    journal: Journal,
    destination: Destination,
    document_id: int,
    key: str,
    row,
    reason: str,
    conn: sa.Connection | None = None,
) -> Published:
    """Nothing to upload: one ``skipped`` journal line (in ``conn``'s transaction when given) and
    a zero-byte result."""
    journal.record(
        destination.storage.name,
        "publish",
        outcome="skipped",
        object_type="document",
        object_id=document_id,
        details={
            "destination": destination.conn_id,
            "key": key,
            "version": row.version,
            "reason": reason,
        },
        conn=conn,
    )
    return Published(
        document_id,
        destination.conn_id,
        destination.storage.name,
        "unchanged",
        row.version,
        row.sha256,
        0,
        row.remote_id,
    )


def prune(
    db: PlatformDB, journal: Journal, *, destination: Destination, document_id: int, key: str
) -> int:
    """Delete the versions beyond the destination's retention (backends that can delete
    versions); their ledger rows stay, marked ``pruned_at``. Returns how many were pruned."""
    policy, storage = destination.retention, destination.storage
    if policy.keep is None or not isinstance(storage, PrunableVersions):
        return 0
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(document_versions)
            .where(_where(destination, document_id), document_versions.c.pruned_at.is_(None))
            .order_by(document_versions.c.version.desc())
        ).all()
    old_enough = utcnow() - timedelta(days=policy.min_age_days)
    doomed = [r for r in rows[policy.keep :] if r.published_at <= old_enough]
    for row in doomed:
        if row.remote_version_id:
            # Already gone (purged by the service or by hand): the row says so from now on.
            with contextlib.suppress(ObjectNotFound):
                storage.delete_version(key, row.remote_version_id)
        with db.begin() as conn:
            conn.execute(
                sa.update(document_versions)
                .where(document_versions.c.id == row.id)
                .values(pruned_at=utcnow())
            )
    if doomed:
        journal.record(
            storage.name,
            "prune_versions",
            outcome="changed",
            object_type="document",
            object_id=document_id,
            details={
                "destination": destination.conn_id,
                "key": key,
                "versions": [r.version for r in doomed],
            },
        )
    return len(doomed)
