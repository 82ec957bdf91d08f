"""Migration 0003 keeps the versions published before destinations existed: each is attributed
to its backend's default connection, and the next publish to that connection claims it."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ponton.context import RunContext
from ponton.documents.ledger import Destination
from ponton.documents.publish import publish_stream
from ponton.journal import Journal
from ponton.platform import PlatformDB
from ponton.platform.schema import documents, missions
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

pytestmark = pytest.mark.unit


def test_versions_keyed_by_backend_become_versions_of_the_default_connection(tmp_path):
    from alembic import command
    from alembic.script import ScriptDirectory

    db = PlatformDB(f"sqlite:///{tmp_path / 'p.db'}")
    config = db._alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("0004").down_revision
    command.upgrade(config, before)
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path / "storage"))
    receipt = storage.put("missions/M-1/plan.pdf", io.BytesIO(b"plan"), content_type="x")
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.engine.begin() as conn:
        conn.execute(missions.insert(), {"id": 1, "code": "M-1", "title": "M"})
        conn.execute(
            documents.insert(),
            {
                "id": 1,
                "mission_id": 1,
                "kind": "asset",
                "name": "plan.pdf",
                "storage_key": "missions/M-1/plan.pdf",
                "content_type": "x",
            },
        )
        conn.execute(
            sa.text(
                "INSERT INTO document_versions (document_id, backend, version, sha256, size, "
                "remote_version_id, published_at) VALUES (1, 'local', 1, :sha, 4, :vid, :at)"
            ),
            {"sha": receipt.sha256, "vid": receipt.remote_version_id, "at": now},
        )
    db.upgrade()
    with db.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT conn_id, root FROM document_versions")).one()
    assert tuple(row) == ("ponton_storage_local", "")
    destination = Destination(conn_id="ponton_storage_local", storage=storage)
    result = publish_stream(
        db,
        destination,
        Journal(db, RunContext()),
        document_id=1,
        key="missions/M-1/plan.pdf",
        open_stream=lambda: io.BytesIO(b"plan"),
        content_type="x",
    )
    assert (result.outcome, result.version) == ("unchanged", 1)
    db.dispose()
