"""The publication ledger on every backend: destinations of the same kind are independent
deliveries, and drift (an object deleted or edited by hand) is found and repaired."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from ponton.context import RunContext
from ponton.demo.seed import seed
from ponton.documents.ledger import Destination
from ponton.documents.publish import publish_mission_assets
from ponton.documents.verify import verify_destinations
from ponton.journal import Journal
from ponton.platform.schema import document_versions
from tests.documents import register_asset

pytestmark = pytest.mark.contract
CODE = "M-2026-014"
KEY = f"missions/{CODE}/plan.pdf"


@pytest.fixture
def world(platform_db, tmp_path, monkeypatch):
    """The demo world with one asset registered for a mission."""
    seed(platform_db, date(2026, 3, 2))
    source = tmp_path / "plan.pdf"
    source.write_bytes(b"%PDF-1.7 site plan, first issue")
    register_asset(platform_db, CODE, source, monkeypatch)
    return platform_db, Journal(platform_db, RunContext()), source


def test_two_destinations_of_the_same_kind_each_receive_and_verify(world, storage_factory):
    db, journal, _source = world
    a = Destination(conn_id="docs_primary", storage=storage_factory())
    c = Destination(conn_id="docs_archive", storage=storage_factory())
    [first] = publish_mission_assets(db, [a], journal, CODE)
    results = publish_mission_assets(db, [a, c], journal, CODE)
    assert first.outcome == "uploaded"
    assert [(r.conn_id, r.outcome) for r in results] == [
        ("docs_primary", "unchanged"),
        ("docs_archive", "uploaded"),
    ]
    assert b"".join(c.storage.get(KEY)) == b"%PDF-1.7 site plan, first issue"
    report = verify_destinations(db, [a, c], journal)
    assert (report.count("checked"), report.problems) == (2, 0)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(document_versions.c.conn_id, document_versions.c.root))
        assert sorted(rows) == sorted([(a.conn_id, a.root), (c.conn_id, c.root)])


def test_drift_is_found_and_repaired(world, storage_factory):
    db, journal, _source = world
    destination = Destination(conn_id="docs", storage=storage_factory())
    publish_mission_assets(db, [destination], journal, CODE)
    storage = destination.storage
    storage.put(KEY, io.BytesIO(b"edited by hand"), content_type="application/pdf")
    storage.put(f"missions/{CODE}/stray.pdf", io.BytesIO(b"?"), content_type="application/pdf")
    report = verify_destinations(db, [destination], journal)
    assert (report.count("changed"), report.count("extra"), report.count("missing")) == (1, 1, 0)
    repaired = verify_destinations(db, [destination], journal, repair=True)
    assert repaired.count("repaired") == 1
    assert b"".join(storage.get(KEY)) == b"%PDF-1.7 site plan, first issue"
    again = verify_destinations(db, [destination], journal)
    assert (again.count("changed"), again.count("missing"), again.count("extra")) == (0, 0, 1)
    verdicts = [e.outcome for e in journal.tail(10) if e.action == "verify"]
    assert verdicts == ["error", "error", "error"]  # the stray object is still there
