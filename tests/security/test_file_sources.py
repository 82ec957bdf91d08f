"""Files named by users or by platform rows: only regular files are read, with a hard byte cap,
document sources only from the configured folders, and no message shows a full path."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from ponton.cli import main
from ponton.context import RunContext
from ponton.demo.seed import seed
from ponton.documents.fence import fenced_source, open_fenced
from ponton.documents.ledger import Destination
from ponton.documents.publish import publish_mission_assets
from ponton.errors import InvalidInputError
from ponton.journal import Journal
from ponton.platform.schema import documents, missions
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

CODE = "M-2026-014"


def inspect_fails(capsys, source, *needles):
    assert main(["ics", "inspect", str(source)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def test_ics_inspect_of_dev_zero_is_refused_without_reading(capsys):
    inspect_fails(capsys, "/dev/zero", "character device")


def test_ics_inspect_of_a_fifo_is_refused_without_waiting(tmp_path, capsys):
    fifo = tmp_path / "feed.ics"
    os.mkfifo(fifo)
    err = inspect_fails(capsys, fifo, "named pipe")
    assert str(tmp_path) not in err


def test_ics_inspect_of_a_directory_is_one_line(tmp_path, capsys):
    inspect_fails(capsys, tmp_path, "directory")


def test_ics_inspect_of_a_missing_file_names_the_file_only(tmp_path, capsys):
    err = inspect_fails(capsys, tmp_path / "secret-dir" / "nope.ics", "nope.ics")
    assert "secret-dir" not in err


def test_a_file_larger_than_its_size_claims_is_cut_at_the_cap(tmp_path, capsys):
    big = tmp_path / "big.ics"
    with big.open("wb") as out:
        out.truncate(21 * 1024 * 1024)  # sparse: stat and content agree, the cap still holds
    inspect_fails(capsys, big, "byte limit")


@pytest.fixture
def roots(tmp_path, monkeypatch):
    root = tmp_path / "documents"
    root.mkdir()
    monkeypatch.setenv("PONTON_DOCUMENT_ROOTS", str(root))
    return root


@pytest.mark.parametrize("secret", ["/proc/self/environ", "/etc/passwd"])
def test_a_document_outside_the_roots_is_refused_naming_the_setting(roots, secret):
    with pytest.raises(InvalidInputError, match="PONTON_DOCUMENT_ROOTS"):
        fenced_source(secret, what="document 1")


def test_a_symlink_out_of_the_roots_is_refused(roots):
    link = roots / "innocent.pdf"
    link.symlink_to("/etc/passwd")
    with pytest.raises(InvalidInputError, match="outside the document folders"):
        fenced_source(str(link), what="document 1")


def test_a_dot_dot_path_out_of_the_roots_is_refused(roots):
    with pytest.raises(InvalidInputError, match="PONTON_DOCUMENT_ROOTS"):
        fenced_source(str(roots / ".." / ".." / "etc" / "passwd"), what="document 1")


def test_a_fifo_inside_the_roots_is_refused_when_opened(roots):
    fifo = roots / "plan.pdf"
    os.mkfifo(fifo)
    with pytest.raises(InvalidInputError, match="named pipe"):
        open_fenced(fenced_source(str(fifo), what="document 1"), what="document 1")


@pytest.mark.integration
def test_publishing_an_environ_document_uploads_nothing(platform_db, roots, tmp_path):
    seed(platform_db, date(2026, 3, 2))
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path / "storage"))
    with platform_db.begin() as conn:
        mission_id = conn.execute(sa.select(missions.c.id).where(missions.c.code == CODE)).scalar()
        conn.execute(
            documents.insert(),
            {
                "mission_id": mission_id,
                "kind": "asset",
                "name": "env.txt",
                "storage_key": f"missions/{CODE}/env.txt",
                "content_type": "text/plain",
                "source_path": "/proc/self/environ",
            },
        )
    with pytest.raises(InvalidInputError, match="PONTON_DOCUMENT_ROOTS"):
        publish_mission_assets(
            platform_db,
            [Destination(conn_id="ponton_storage_local", storage=storage)],
            Journal(platform_db, RunContext()),
            CODE,
        )
    assert not any(Path(tmp_path / "storage").rglob("env.txt"))
