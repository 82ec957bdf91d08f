"""Publishing to the local folder: unchanged reruns upload nothing, retries never duplicate."""

from __future__ import annotations

import contextlib
import io
from datetime import date

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from ponton.context import RunContext
from ponton.demo.seed import seed
from ponton.documents.ledger import Destination
from ponton.documents.publish import (
    publish_mission_assets,
    publish_roadmap,
    roadmap_key,
)
from ponton.documents.render import render_pdf
from ponton.documents.roadmap import Edition, load_roadmap
from ponton.errors import InvalidInputError
from ponton.journal import Journal
from ponton.platform.schema import document_versions, documents, kv_cursors, missions
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions
from tests.documents import register_asset

pytestmark = pytest.mark.integration
CODE = "M-2026-014"


@pytest.fixture
def world(platform_db, tmp_path):
    seed(platform_db, date(2026, 3, 2))
    return (
        platform_db,
        LocalFolderStorage(options=LocalOptions(root=tmp_path / "storage")),
        Journal(platform_db, RunContext()),
    )


def local(storage) -> Destination:
    return Destination(conn_id="ponton_storage_local", storage=storage)


def versions(db) -> list[tuple[int, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(document_versions.c.version, document_versions.c.sha256).order_by(
                document_versions.c.version
            )
        )
        return [tuple(r) for r in rows]


def test_first_publish_uploads_and_an_unchanged_rerun_uploads_nothing(world):
    db, storage, journal = world
    [first] = publish_roadmap(db, [local(storage)], journal, CODE)
    assert (first.outcome, first.version) == ("uploaded", 1) and first.bytes_uploaded > 1000
    [again] = publish_roadmap(db, [local(storage)], journal, CODE)
    assert (again.outcome, again.bytes_uploaded, again.version) == ("unchanged", 0, 1)
    assert len(storage.list_versions(roadmap_key(CODE))) == 1
    actions = [(e.outcome, (e.details or {}).get("reason")) for e in journal.tail(5)]
    assert actions == [("changed", None), ("skipped", "inputs unchanged")]


def test_changed_mission_data_publishes_a_second_version(world):
    db, storage, journal = world
    publish_roadmap(db, [local(storage)], journal, CODE)
    with db.begin() as conn:
        conn.execute(sa.update(missions).where(missions.c.code == CODE).values(title="Nouveau"))
    [second] = publish_roadmap(db, [local(storage)], journal, CODE)
    assert (second.outcome, second.version) == ("uploaded", 2)
    assert len(storage.list_versions(roadmap_key(CODE))) == 2 and len(versions(db)) == 2


def test_retry_after_an_unrecorded_upload_adopts_it_instead_of_uploading_again(world):
    db, storage, journal = world
    pdf = render_pdf(load_roadmap(db, CODE), edition=Edition(1, date(2026, 3, 9)))
    storage.put(roadmap_key(CODE), io.BytesIO(pdf), content_type="application/pdf")
    [result] = publish_roadmap(db, [local(storage)], journal, CODE, today=date(2026, 3, 9))
    assert (result.outcome, result.bytes_uploaded) == ("adopted", 0)
    assert len(storage.list_versions(roadmap_key(CODE))) == 1 and len(versions(db)) == 1


def test_lost_fingerprint_falls_back_to_the_hash_and_records_nothing_new(world):
    db, storage, journal = world
    publish_roadmap(db, [local(storage)], journal, CODE)
    with db.begin() as conn:
        conn.execute(kv_cursors.delete())
    [result] = publish_roadmap(db, [local(storage)], journal, CODE)
    assert result.outcome == "unchanged" and len(versions(db)) == 1


def test_roadmap_returning_to_earlier_content_is_issued_as_a_new_edition(world):
    db, storage, journal = world
    [one] = publish_roadmap(db, [local(storage)], journal, CODE)
    for title in ("Autre titre", "Audit énergétique — Lycée Jules Ferry"):
        with db.begin() as conn:
            conn.execute(sa.update(missions).where(missions.c.code == CODE).values(title=title))
        [last] = publish_roadmap(db, [local(storage)], journal, CODE)
    assert [version for version, _ in versions(db)] == [1, 2, 3] and last.sha256 != one.sha256
    reader = PdfReader(io.BytesIO(b"".join(storage.get(roadmap_key(CODE)))))
    assert "version 3 du" in reader.pages[0].extract_text()


def test_lost_fingerprint_with_changed_inputs_issues_the_next_edition(world):
    db, storage, journal = world
    publish_roadmap(db, [local(storage)], journal, CODE, today=date(2026, 3, 9))
    with db.begin() as conn:
        conn.execute(kv_cursors.delete())
        conn.execute(sa.update(missions).where(missions.c.code == CODE).values(title="Nouveau"))
    [result] = publish_roadmap(db, [local(storage)], journal, CODE, today=date(2026, 3, 10))
    assert (result.outcome, result.version) == ("uploaded", 2)
    reader = PdfReader(io.BytesIO(b"".join(storage.get(roadmap_key(CODE)))))
    assert "version 2 du 10 mars 2026" in reader.pages[0].extract_text()


def test_mission_assets_are_published_and_a_missing_source_is_a_clear_error(
    world, tmp_path, monkeypatch
):
    db, storage, journal = world
    monkeypatch.setenv("PONTON_DOCUMENT_ROOTS", str(tmp_path))
    source = tmp_path / "plan.dwg"
    source.write_bytes(b"plan v1")
    with db.begin() as conn:
        mission_id = conn.execute(sa.select(missions.c.id).where(missions.c.code == CODE)).scalar()
        conn.execute(
            documents.insert(),
            {
                "mission_id": mission_id,
                "kind": "asset",
                "name": "plan.dwg",
                "storage_key": f"missions/{CODE}/plan.dwg",
                "content_type": "application/acad",
                "source_path": str(source),
            },
        )
    [result] = publish_mission_assets(db, [local(storage)], journal, CODE)
    assert result.outcome == "uploaded" and result.bytes_uploaded == 7
    assert publish_mission_assets(db, [local(storage)], journal, CODE)[0].outcome == "unchanged"
    source.unlink()
    with pytest.raises(InvalidInputError, match=r"plan\.dwg.*does not exist"):
        publish_mission_assets(db, [local(storage)], journal, CODE)


def test_a_file_deleted_by_hand_is_uploaded_again_once_the_fingerprint_is_cleared(world):
    db, storage, journal = world
    publish_roadmap(db, [local(storage)], journal, CODE)
    (storage.root / roadmap_key(CODE)).unlink()
    with db.begin() as conn:
        conn.execute(kv_cursors.delete())
    [result] = publish_roadmap(db, [local(storage)], journal, CODE)
    assert (result.outcome, result.version) == ("uploaded", 2)
    assert len(versions(db)) == 1 and (storage.root / roadmap_key(CODE)).is_file()


def test_a_crash_at_each_step_of_a_local_put_is_healed_by_the_retry_with_a_matching_ledger(
    world, tmp_path, monkeypatch
):
    from ponton.documents.verify import verify_destinations
    from tests.unit.test_local_storage import Crash, count_steps

    db, storage, journal = world
    source = tmp_path / "plan.pdf"
    register_asset(db, CODE, source, monkeypatch)
    destination = local(storage)
    step = 0
    while True:
        step += 1
        source.write_bytes(f"issue {step}".encode())
        with monkeypatch.context() as crashing:
            steps = count_steps(crashing, step)
            with contextlib.suppress(Crash):
                publish_mission_assets(db, [destination], journal, CODE)
        if len(steps) < step:
            break  # the put completed before reaching this step: every step was crashed once
        [retried] = publish_mission_assets(db, [destination], journal, CODE)
        assert retried.sha256 == storage.head(f"missions/{CODE}/plan.pdf").checksums["sha256"]
        assert verify_destinations(db, [destination], journal).problems == 0
    assert step > 6


def test_retention_prunes_versions_beyond_the_count_and_marks_their_rows(
    world, tmp_path, monkeypatch
):
    from ponton.documents.ledger import Retention

    db, storage, journal = world
    source = tmp_path / "plan.pdf"
    register_asset(db, CODE, source, monkeypatch)
    destination = Destination(
        conn_id="ponton_storage_local", storage=storage, retention=Retention(keep=2)
    )
    for issue in range(4):
        source.write_bytes(f"issue {issue}".encode())
        publish_mission_assets(db, [destination], journal, CODE)
    kept = storage.list_versions(f"missions/{CODE}/plan.pdf")
    assert [
        b"".join(storage.get(f"missions/{CODE}/plan.pdf", version_id=v.remote_version_id))
        for v in kept
    ] == [b"issue 2", b"issue 3"]
    with db.engine.connect() as conn:
        pruned = conn.execute(
            sa.select(document_versions.c.version)
            .where(document_versions.c.pruned_at.is_not(None))
            .order_by(document_versions.c.version)
        ).scalars()
        assert list(pruned) == [1, 2]
    assert [e.action for e in journal.tail(1)] == ["prune_versions"]
