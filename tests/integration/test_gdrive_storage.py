"""Drive specifics through google-api-python-client against the loopback fake."""

from __future__ import annotations

import io

import pytest

from ponton.errors import ReauthorizationRequired
from ponton.hooks.gdrive_storage import GoogleDriveStorageHook
from ponton.storage import ChecksumMismatch, QuotaExceeded
from tests.fakes.gdrive_peer import *  # noqa: F403 - the Drive fake fixtures
from tests.fakes.gdrive_peer import drive_connection

pytestmark = pytest.mark.integration


@pytest.fixture
def drive(fake_drive, monkeypatch):
    fake_drive.failures.clear()
    monkeypatch.setattr("googleapiclient.http.time.sleep", lambda seconds: None)
    root = drive_connection(monkeypatch, fake_drive, "ponton_gdrive_it", num_retries=3)
    return fake_drive, root, GoogleDriveStorageHook(storage_conn_id="ponton_gdrive_it")


def put(storage, key: str, data: bytes):
    return storage.put(key, io.BytesIO(data), content_type="application/pdf")


def test_folders_are_resolved_once_and_updates_add_kept_revisions(drive):
    fake, root, storage = drive
    first = put(storage, "missions/M-1/roadmap.pdf", b"one")
    second = put(storage, "missions/M-1/roadmap.pdf", b"two")
    folders = [f for f in fake.files.values() if f["name"] in ("missions", "M-1")]
    assert len(folders) == 2 and folders[0]["parents"] == [root]
    assert (
        first.remote_id == second.remote_id and first.remote_version_id != second.remote_version_id
    )
    assert all(r["keepForever"] for r in fake.files[first.remote_id]["revisions"])


def test_wrong_checksum_from_drive_is_an_error_not_a_success(drive):
    fake, _root, storage = drive
    fake.corrupt_next_checksum = True
    with pytest.raises(ChecksumMismatch, match="md5"):
        put(storage, "m/a.pdf", b"bytes")


def test_throttling_and_server_errors_are_retried_until_success(drive):
    fake, _root, storage = drive
    fake.fail_next(429, {"error": {"code": 429, "errors": [{"reason": "rateLimitExceeded"}]}})
    fake.fail_next(503, {"error": {"code": 503, "errors": [{"reason": "backendError"}]}})
    assert put(storage, "m/a.pdf", b"after retries").size == 13


def test_full_quota_is_a_clear_permanent_error(drive):
    fake, _root, storage = drive
    fake.quota_bytes = fake.used_bytes() + 4
    try:
        with pytest.raises(QuotaExceeded, match="storage quota is full"):
            put(storage, "m/big.pdf", b"too big")
    finally:
        fake.quota_bytes = None


def test_revoked_credentials_ask_for_reauthorisation(drive):
    fake, _root, storage = drive
    fake.fail_next(401, {"error": {"code": 401, "errors": [{"reason": "authError"}]}})
    with pytest.raises(ReauthorizationRequired, match="ponton_gdrive_it"):
        storage.head("m/a.pdf")


def test_connection_test_names_the_root_folder(drive):
    _fake, root, storage = drive
    assert storage.test_connection() == (True, f"Drive folder {root!r} ({root}) reachable")
