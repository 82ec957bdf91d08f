"""Publishing: render or read a document, skip it when unchanged, else upload, verify and record,
independently on each destination (storage connection + root, see :mod:`.ledger`).

Idempotence comes from three checks, cheapest first, per destination:

1. the roadmap's *input* fingerprint (data, template, PDF variant) equals the one recorded with the
   destination's latest version → nothing is rendered or uploaded (an unchanged rerun is nearly
   free);
2. the destination's current object holds what the ledger recorded (one ``head``: our hash, or
   the service's hash of what it stored where it rewrites files) and the latest
   ``document_versions`` row has our SHA-256 → nothing to do;
3. the destination holds exactly these bytes but no row says so (a retried task whose upload
   succeeded but whose DB commit did not) → the existing remote version is adopted.

A file deleted or replaced by hand is uploaded again at step 2. So a retry never creates a second
version of the same bytes, and ``(document_id, conn_id, root, sha256)`` stays unique. Bytes that
return to an earlier version are uploaded again and that earlier row moves to the top.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ponton.documents.fence import fenced_source, open_fenced
from ponton.documents.ledger import (
    Destination,
    Published,
    claim_legacy_rows,
    latest,
    prune,
    record,
    skipped,
)
from ponton.documents.roadmap import Edition, Roadmap, load_roadmap
from ponton.errors import InvalidInputError
from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.platform.schema import documents, kv_cursors, missions
from ponton.storage import Receipt, validate_key
from ponton.storage.hashing import digest_stream
from ponton.storage.port import PinnedVersions, same_checksum

PDF = "application/pdf"


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


def publish_stream(
    db: PlatformDB,
    destination: Destination,
    journal: Journal,
    *,
    document_id: int,
    key: str,
    open_stream,
    content_type: str,
    metadata: dict[str, str] | None = None,
) -> Published:
    """Publish the bytes ``open_stream()`` yields (called at most twice: hash, then upload)."""
    storage = destination.storage
    with open_stream() as stream:
        ours = digest_stream(stream, storage.algorithm)
    claim_legacy_rows(db, destination)
    with db.engine.connect() as conn:
        row = latest(conn, document_id, destination)
    current = storage.head(key)
    reported = current.checksums.get(storage.algorithm) if current else None
    exact = same_checksum(storage.algorithm, ours.checksum, reported)
    recorded = row is not None and row.sha256 == ours.sha256
    as_recorded = recorded and same_checksum(storage.algorithm, row.checksum or "", reported)
    if recorded and (exact or as_recorded):
        return skipped(journal, destination, document_id, key, row, "unchanged")
    if exact:
        receipt = Receipt(
            key=key,
            remote_id=current.remote_id,
            remote_version_id=current.remote_version_id,
            sha256=ours.sha256,
            size=ours.size,
            algorithm=storage.algorithm,
            checksum=reported,
            created=False,
        )
        outcome = "adopted"
    else:
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
        outcome = "uploaded"
    if isinstance(storage, PinnedVersions) and receipt.remote_version_id:
        storage.pin_version(key, receipt.remote_version_id, keep=True)
    published = record(
        db,
        journal,
        document_id=document_id,
        destination=destination,
        receipt=receipt,
        outcome=outcome,
    )
    prune(db, journal, destination=destination, document_id=document_id, key=key)
    return published


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


def _fingerprint_name(document_id: int, destination: Destination) -> str:
    return f"documents.fingerprint.{document_id}.{destination.tag}"


def publish_roadmap(
    db: PlatformDB,
    destinations: list[Destination],
    journal: Journal,
    code: str,
    *,
    pdf_variant: str | None = None,
    template_dir: str | Path | None = None,
    today: date | None = None,
    force: bool = False,
) -> list[Published]:
    """Render mission ``code``'s roadmap (only if its inputs changed, or ``force``: a repair) and
    publish it to every destination.

    The edition printed on the pages (version, generation date ``today``) is not an input: an
    unchanged roadmap is not re-issued the next day, and every destination gets the same bytes.
    """
    roadmap = load_roadmap(db, code)
    key = roadmap_key(code)
    fingerprint = roadmap_fingerprint(roadmap, pdf_variant, template_dir)
    with db.begin() as conn:
        mission_id = conn.execute(sa.select(missions.c.id).where(missions.c.code == code)).scalar()
        document_id = ensure_document(conn, mission_id, "roadmap", "roadmap.pdf", key, PDF)
        names = [_fingerprint_name(document_id, d) for d in destinations]
        remembered = dict(
            conn.execute(
                sa.select(kv_cursors.c.name, kv_cursors.c.value).where(kv_cursors.c.name.in_(names))
            ).all()
        )
    for destination in destinations:
        claim_legacy_rows(db, destination)
    with db.engine.connect() as conn:
        rows = [latest(conn, document_id, d) for d in destinations]
    states = [json.loads(remembered.get(name) or "{}") for name in names]
    zone = ZoneInfo(roadmap.timezone)
    today = today or datetime.now(zone).date()
    edition, lost = _edition(states, rows, fingerprint, today, zone)
    unchanged, changed = [], []
    for index, (row, state) in enumerate(zip(rows, states, strict=True)):
        same = row is not None and (state.get("input"), state.get("sha256")) == (
            fingerprint,
            row.sha256,
        )
        (unchanged if same and not force else changed).append(index)
    results: dict[int, Published] = {}
    if unchanged:  # one transaction for the skip lines: an unchanged rerun stays nearly free
        with db.begin() as conn:
            for index in unchanged:
                results[index] = skipped(
                    journal,
                    destinations[index],
                    document_id,
                    key,
                    rows[index],
                    "inputs unchanged",
                    conn,
                )
    if changed:
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
    for index in changed:
        result = publish_stream(
            db,
            destinations[index],
            journal,
            document_id=document_id,
            key=key,
            open_stream=lambda: io.BytesIO(pdf),
            content_type=PDF,
            metadata={"mission": code},
        )
        state = {
            "input": fingerprint,
            "sha256": result.sha256,
            "edition": [edition.version, edition.generated_on.isoformat()],
        }
        _remember(db, names[index], state)
        results[index] = result
    return [results[index] for index in range(len(destinations))]


def _edition(states: list[dict], latest: list, fingerprint: str, today: date, zone: ZoneInfo):
    """The edition to print, and the latest version row when it is only a guess.

    These inputs' edition when a destination already got them (a retry: every destination gets
    the same bytes); with no fingerprint remembered at all, the latest version's own edition
    (unchanged inputs then render to its very bytes); else the next version, dated today.
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
    db: PlatformDB, destinations: list[Destination], journal: Journal, code: str
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

        for destination in destinations:
            results.append(
                publish_stream(
                    db,
                    destination,
                    journal,
                    document_id=row.id,
                    key=validate_key(row.storage_key),
                    open_stream=open_source,
                    content_type=row.content_type,
                    metadata={"mission": code},
                )
            )
    return results


def publish_missions(
    db: PlatformDB,
    destination: Destination,
    journal: Journal,
    codes: list[str],
    *,
    pdf_variant: str | None = None,
) -> dict:
    """Every roadmap and asset of ``codes`` delivered to one destination: the summary the CLI
    prints (``verified`` counts the documents the destination holds as recorded afterwards)."""
    results: list[Published] = []
    for code in codes:
        results += publish_roadmap(db, [destination], journal, code, pdf_variant=pdf_variant)
        results += publish_mission_assets(db, [destination], journal, code)
    outcomes = [r.outcome for r in results]
    return {
        "conn_id": destination.conn_id,
        "uploaded": outcomes.count("uploaded"),
        "unchanged": outcomes.count("unchanged"),
        "bytes_uploaded": sum(r.bytes_uploaded for r in results),
        "verified": len(results),
    }
