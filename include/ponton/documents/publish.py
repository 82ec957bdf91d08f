"""Publishing: render or read a document, skip it when unchanged, else upload, verify and record.

Idempotence comes from three checks, cheapest first:

1. the roadmap's *input* fingerprint (data, template, PDF variant) equals the one recorded with the
   latest version → nothing is rendered or uploaded (what makes an unchanged rerun nearly free);
2. the backend's current object holds these bytes (one ``head``) and the latest
   ``document_versions`` row has their SHA-256 → nothing to do;
3. the backend holds them but no row says so (a retried task whose upload succeeded but whose DB
   commit did not) → the existing remote version is adopted, nothing is uploaded.

A file deleted or replaced by hand on the backend is uploaded again at step 2.

So a retry never creates a second version of the same bytes, and the unique constraint
``(document_id, backend, sha256)`` holds. Bytes that return to an earlier version are uploaded
again and that earlier row moves to the top (new version number and remote version id).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.documents.fence import fenced_source, open_fenced
from ponton.documents.roadmap import Edition, Roadmap, load_roadmap
from ponton.errors import InvalidInputError
from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.platform.schema import document_versions, documents, kv_cursors, missions, utcnow
from ponton.storage import Receipt, Storage, validate_key
from ponton.storage.hashing import digest_stream

PDF = "application/pdf"


@dataclass(frozen=True, slots=True)
class Published:
    """One document on one backend after a publish attempt; small enough for XCom."""

    document_id: int
    backend: str
    outcome: str  # uploaded | unchanged | adopted
    version: int
    sha256: str
    bytes_uploaded: int
    remote_id: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def roadmap_key(code: str) -> str:
    return validate_key(f"missions/{code}/feuille-de-route-{code}.pdf")


def ensure_document(
    conn: sa.Connection, mission_id: int, kind: str, name: str, key: str, content_type: str
) -> int:
    """The ``documents`` row for (mission, kind, name), created on first publish."""
    where = sa.and_(
        documents.c.mission_id == mission_id, documents.c.kind == kind, documents.c.name == name
    )
    found = conn.execute(sa.select(documents.c.id).where(where)).scalar()
    if found is not None:
        return found
    return conn.execute(
        documents.insert().returning(documents.c.id),
        {
            "mission_id": mission_id,
            "kind": kind,
            "name": name,
            "storage_key": key,
            "content_type": content_type,
        },
    ).scalar_one()


def _latest(conn: sa.Connection, document_id: int, backend: str):
    return conn.execute(
        sa.select(document_versions)
        .where(
            document_versions.c.document_id == document_id, document_versions.c.backend == backend
        )
        .order_by(document_versions.c.version.desc())
        .limit(1)
    ).first()


def _record(
    db: PlatformDB, journal: Journal, document_id: int, storage: Storage, receipt: Receipt, outcome
) -> Published:
    """One transaction: the version row (new, or an earlier one of the same bytes moved up) and
    its journal line."""
    with db.begin() as conn:
        latest = _latest(conn, document_id, storage.name)
        version = (latest.version if latest else 0) + 1
        values = {
            "version": version,
            "size": receipt.size,
            "remote_id": receipt.remote_id,
            "remote_version_id": receipt.remote_version_id,
            "published_at": utcnow(),
            "verified_at": utcnow(),
        }
        same_bytes = sa.and_(
            document_versions.c.document_id == document_id,
            document_versions.c.backend == storage.name,
            document_versions.c.sha256 == receipt.sha256,
        )
        moved_up = conn.execute(sa.update(document_versions).where(same_bytes).values(values))
        if not moved_up.rowcount:
            conn.execute(
                document_versions.insert(),
                values
                | {"document_id": document_id, "backend": storage.name, "sha256": receipt.sha256},
            )
        journal.record(
            storage.name,
            "publish",
            outcome="changed",
            object_type="document",
            object_id=document_id,
            details={
                "key": receipt.key,
                "version": version,
                "sha256": receipt.sha256,
                "size": receipt.size,
                "remote_version_id": receipt.remote_version_id,
                "how": outcome,
            },
            conn=conn,
        )
    return Published(
        document_id,
        storage.name,
        outcome,
        version,
        receipt.sha256,
        receipt.size if outcome == "uploaded" else 0,
        receipt.remote_id,
    )


def _skipped(journal: Journal, backend: str, document_id: int, key: str, latest, reason: str):
    """Nothing to upload: one ``skipped`` journal line and a zero-byte result."""
    journal.record(
        backend,
        "publish",
        outcome="skipped",
        object_type="document",
        object_id=document_id,
        details={"key": key, "version": latest.version, "reason": reason},
    )
    return Published(
        document_id, backend, "unchanged", latest.version, latest.sha256, 0, latest.remote_id
    )


def publish_stream(
    db: PlatformDB,
    storage: Storage,
    journal: Journal,
    *,
    document_id: int,
    key: str,
    open_stream,
    content_type: str,
    metadata: dict[str, str] | None = None,
) -> Published:
    """Publish the bytes ``open_stream()`` yields (called at most twice: hash, then upload)."""
    with open_stream() as stream:
        ours = digest_stream(stream, storage.algorithm)
    with db.engine.connect() as conn:
        latest = _latest(conn, document_id, storage.name)
    current = storage.head(key)
    stored = current is not None and current.checksums.get(storage.algorithm) == ours.checksum
    if stored and latest is not None and latest.sha256 == ours.sha256:
        return _skipped(journal, storage.name, document_id, key, latest, "unchanged")
    if stored:
        receipt = Receipt(
            key=key,
            remote_id=current.remote_id,
            remote_version_id=current.remote_version_id,
            sha256=ours.sha256,
            size=ours.size,
            algorithm=storage.algorithm,
            checksum=ours.checksum,
            created=False,
        )
        return _record(db, journal, document_id, storage, receipt, "adopted")
    with open_stream() as stream:
        receipt = storage.put(
            key,
            stream,
            content_type=content_type,
            metadata={"sha256": ours.sha256} | (metadata or {}),
        )
    if receipt.sha256 != ours.sha256:
        raise InvalidInputError(
            f"document {document_id} changed while it was uploaded ({key}); publish it again"
        )
    return _record(db, journal, document_id, storage, receipt, "uploaded")


def roadmap_fingerprint(roadmap: Roadmap, pdf_variant: str | None, template_dir) -> str:
    """Everything the PDF bytes depend on; equal fingerprints mean equal PDFs."""
    from ponton.documents.render import TEMPLATES

    digest = hashlib.sha256(repr(roadmap).encode())
    digest.update(repr(pdf_variant).encode())
    for folder in (Path(template_dir) if template_dir else None, TEMPLATES):
        if folder is not None:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _fingerprint_name(document_id: int, backend: str) -> str:
    return f"documents.fingerprint.{document_id}.{backend}"


def publish_roadmap(
    db: PlatformDB,
    storages: list[Storage],
    journal: Journal,
    code: str,
    *,
    pdf_variant: str | None = None,
    template_dir: str | Path | None = None,
    today: date | None = None,
) -> list[Published]:
    """Render mission ``code``'s roadmap (only if its inputs changed) and publish it everywhere.

    The edition printed on the pages (version, generation date ``today``) is not an input: an
    unchanged roadmap is not re-issued the next day, and every backend gets the same bytes.
    """
    roadmap = load_roadmap(db, code)
    key = roadmap_key(code)
    fingerprint = roadmap_fingerprint(roadmap, pdf_variant, template_dir)
    with db.begin() as conn:
        mission_id = conn.execute(sa.select(missions.c.id).where(missions.c.code == code)).scalar()
        document_id = ensure_document(conn, mission_id, "roadmap", "roadmap.pdf", key, PDF)
        remembered = dict(
            conn.execute(
                sa.select(kv_cursors.c.name, kv_cursors.c.value).where(
                    kv_cursors.c.name.in_(
                        [_fingerprint_name(document_id, s.name) for s in storages]
                    )
                )
            ).all()
        )
    with db.engine.connect() as conn:
        latest_of = {s.name: _latest(conn, document_id, s.name) for s in storages}
    states = {
        s.name: json.loads(remembered.get(_fingerprint_name(document_id, s.name)) or "{}")
        for s in storages
    }
    zone = ZoneInfo(roadmap.timezone)
    today = today or datetime.now(zone).date()
    edition, lost = _edition(
        list(states.values()), list(latest_of.values()), fingerprint, today, zone
    )
    results: list[Published] = []
    pdf: bytes | None = None
    for storage in storages:
        name = _fingerprint_name(document_id, storage.name)
        latest, state = latest_of[storage.name], states[storage.name]
        if latest is not None and (state.get("input"), state.get("sha256")) == (
            fingerprint,
            latest.sha256,
        ):
            results.append(
                _skipped(journal, storage.name, document_id, key, latest, "inputs unchanged")
            )
            continue
        if pdf is None:
            from ponton.documents.render import render_pdf

            pdf = render_pdf(
                roadmap, edition=edition, pdf_variant=pdf_variant, template_dir=template_dir
            )
            if lost is not None and hashlib.sha256(pdf).hexdigest() != lost.sha256:
                # The inputs changed while their fingerprint was lost: this is a new edition.
                edition = Edition(lost.version + 1, today)
                pdf = render_pdf(
                    roadmap, edition=edition, pdf_variant=pdf_variant, template_dir=template_dir
                )
        data = pdf
        result = publish_stream(
            db,
            storage,
            journal,
            document_id=document_id,
            key=key,
            open_stream=lambda data=data: io.BytesIO(data),
            content_type=PDF,
            metadata={"mission": code},
        )
        _remember(
            db,
            name,
            {
                "input": fingerprint,
                "sha256": result.sha256,
                "edition": [edition.version, edition.generated_on.isoformat()],
            },
        )
        results.append(result)
    return results


def _edition(states: list[dict], latest: list, fingerprint: str, today: date, zone: ZoneInfo):
    """The edition to print, and the latest version row when it is only a guess.

    These inputs' edition when a backend already got them (a retry: every backend gets the same
    bytes); with no fingerprint remembered at all, the latest version's own edition (unchanged
    inputs then render to its very bytes); else the next version, dated today.
    """
    for state in states:
        if state.get("input") == fingerprint and state.get("edition"):
            version, generated_on = state["edition"]
            return Edition(version, date.fromisoformat(generated_on)), None
    rows = [row for row in latest if row is not None]
    newest = max(rows, key=lambda row: row.version, default=None)
    if newest is not None and not any(states):
        published = newest.published_at.astimezone(zone).date()
        return Edition(newest.version, published), newest
    return Edition((newest.version if newest else 0) + 1, today), None


def _remember(db: PlatformDB, name: str, value: dict) -> None:
    text = json.dumps(value, sort_keys=True)
    with db.begin() as conn:
        if not conn.execute(
            sa.update(kv_cursors).where(kv_cursors.c.name == name).values(value=text)
        ).rowcount:
            conn.execute(kv_cursors.insert(), {"name": name, "value": text})


def publish_mission_assets(
    db: PlatformDB, storages: list[Storage], journal: Journal, code: str
) -> list[Published]:
    """Every file registered in ``documents`` for mission ``code`` (other than the roadmap)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(documents)
            .join(missions, missions.c.id == documents.c.mission_id)
            .where(missions.c.code == code, documents.c.kind != "roadmap")
            .order_by(documents.c.id)
        ).all()
    results = []
    for row in rows:
        what = f"document {row.id} ({row.name!r}) of mission {code}"
        source = fenced_source(row.source_path, what=what)

        def open_source(source: Path = source, what: str = what) -> BinaryIO:
            return open_fenced(source, what=what)

        for storage in storages:
            results.append(
                publish_stream(
                    db,
                    storage,
                    journal,
                    document_id=row.id,
                    key=validate_key(row.storage_key),
                    open_stream=open_source,
                    content_type=row.content_type,
                    metadata={"mission": code},
                )
            )
    return results
