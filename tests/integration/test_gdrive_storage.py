"""Drive specifics through google-api-python-client against the loopback fake: tokens and scopes,
shared drives, revision pinning, precise 403s, duplicate names."""

from __future__ import annotations

import io
import json

import pytest

from ponton.errors import ConfigError, ReauthorizationRequired
from ponton.hooks.gdrive_storage import GoogleDriveStorageHook
from ponton.storage import ChecksumMismatch, QuotaExceeded
from tests.fakes.gdrive import DRIVE, FOLDER
from tests.fakes.gdrive_peer import *  # noqa: F403 - the Drive fake fixtures
from tests.fakes.gdrive_peer import drive_backend, drive_connection

pytestmark = pytest.mark.integration


@pytest.fixture
def drive(fake_drive, drive_service_account):
    fake_drive.failures.clear()
    root = fake_drive.new_folder()
    return fake_drive, root, drive_backend(fake_drive, drive_service_account, root)


def put(storage, key: str, data: bytes):
    return storage.put(key, io.BytesIO(data), content_type="application/pdf")


def test_folders_are_resolved_once_and_updates_add_unpinned_revisions(drive):
    fake, root, storage = drive
    first = put(storage, "missions/M-1/roadmap.pdf", b"one")
    second = put(storage, "missions/M-1/roadmap.pdf", b"two")
    folders = [f for f in fake.files.values() if f["name"] in ("missions", "M-1")]
    assert [f["parents"] for f in folders] == [[root], [folders[0]["id"]]]
    assert first.remote_id == second.remote_id
    assert first.remote_version_id != second.remote_version_id
    assert not any(r["keepForever"] for r in fake.files[first.remote_id]["revisions"])


def test_pinning_keeps_at_most_keep_forever_revisions_under_drives_cap(
    fake_drive, drive_service_account
):
    storage = drive_backend(
        fake_drive, drive_service_account, fake_drive.new_folder(), keep_forever=2
    )
    receipts = [put(storage, "m/r.pdf", f"v{n}".encode()) for n in range(4)]
    for receipt in receipts:
        storage.pin_version("m/r.pdf", receipt.remote_version_id, keep=True)
    revisions = fake_drive.files[receipts[0].remote_id]["revisions"]
    assert [r["keepForever"] for r in revisions] == [False, False, True, True]


def test_drives_cap_of_200_kept_revisions_is_named_and_pinning_stays_under_it(drive):
    fake, _root, storage = drive
    receipt = put(storage, "m/r.pdf", b"v")
    revisions = fake.files[receipt.remote_id]["revisions"]
    revisions[:0] = [dict(revisions[0], id=f"old{n}", keepForever=True) for n in range(200)]
    with pytest.raises(ConfigError, match="200 revisions kept forever"):
        storage._pin(
            storage.service.revisions(),
            receipt.remote_id,
            receipt.remote_version_id,
            keep=True,
            key="m/r.pdf",
        )
    storage.pin_version("m/r.pdf", receipt.remote_version_id, keep=True)  # unpins the oldest
    assert sum(r["keepForever"] for r in revisions) == 100 and revisions[-1]["keepForever"]


def test_shared_drive_files_are_found_and_updated_with_all_drives_parameters(
    fake_drive, drive_service_account
):
    drive_id = fake_drive.new_folder(shared_drive=True)
    storage = drive_backend(fake_drive, drive_service_account, drive_id, drive_id=drive_id)
    first = put(storage, "m/shared.pdf", b"one")
    second = put(storage, "m/shared.pdf", b"two")
    assert first.remote_id == second.remote_id
    assert fake_drive.files[first.remote_id]["driveId"] == drive_id
    assert b"".join(storage.get("m/shared.pdf")) == b"two"
    assert list(storage.list_keys()) == ["m/shared.pdf"]


def test_a_name_held_by_two_files_uses_the_one_ponton_wrote_and_lists_both(drive):
    fake, root, storage = drive
    mine = put(storage, "report.pdf", b"ours")
    fake.files["stranger"] = {
        "id": "stranger",
        "name": "report.pdf",
        "mimeType": "application/pdf",
        "parents": [root],
        "createdTime": "2020-01-01T00:00:00Z",
        "revisions": [dict(fake.files[mine.remote_id]["revisions"][0], id="rx", content=b"x")],
    }
    assert storage.head("report.pdf").remote_id == mine.remote_id
    assert sorted(storage.list_keys()) == ["report.pdf", "report.pdf"]


def test_a_token_without_the_drive_scope_names_the_scope_to_grant(
    fake_drive, drive_service_account
):
    storage = drive_backend(
        fake_drive, drive_service_account, fake_drive.new_folder(), scopes=[f"{DRIVE}.readonly"]
    )
    assert storage.head("m/a.pdf") is None  # reading is allowed
    with pytest.raises(ConfigError, match="lacks the Drive scope"):
        put(storage, "m/a.pdf", b"x")


def test_a_read_only_share_asks_to_share_the_folder_as_editor(drive):
    fake, root, storage = drive
    fake.readers.add(root)
    try:
        with pytest.raises(ConfigError, match="share the root folder"):
            put(storage, "m/a.pdf", b"x")
    finally:
        fake.readers.discard(root)


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
        with pytest.raises(QuotaExceeded, match="storage"):
            put(storage, "m/big.pdf", b"too big")
    finally:
        fake.quota_bytes = None


def test_a_rejected_service_account_key_asks_for_reauthorisation(fake_drive, drive_service_account):
    forged = drive_service_account | {"client_email": "unknown@ponton-test.iam.gserviceaccount.com"}
    storage = drive_backend(fake_drive, forged, fake_drive.new_folder())
    with pytest.raises(ReauthorizationRequired, match="ponton_storage_gdrive"):
        storage.head("m/a.pdf")


def test_oauth_refresh_token_connection_gets_its_token_from_the_token_endpoint(
    fake_drive, monkeypatch
):
    fake_drive.refresh_tokens["refresh-1"] = ("client-1", "secret-1", DRIVE)
    folder = fake_drive.new_folder()
    conn = {
        "conn_type": "ponton_gdrive",
        "login": "client-1",
        "password": "secret-1",
        "extra": {
            "refresh_token": "refresh-1",
            "token_uri": f"{fake_drive.url}/token",
            "api_endpoint": f"{fake_drive.url}/drive/v3/",
            "ca_certs": fake_drive.ca_file,
            "folder_id": folder,
        },
    }
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_GDRIVE_OAUTH", json.dumps(conn))
    hook = GoogleDriveStorageHook(storage_conn_id="ponton_gdrive_oauth")
    assert put(hook.get_conn(), "m/a.pdf", b"oauth").created
    assert hook.test_connection() == (True, f"Drive folder {folder!r} ({folder}) reachable")
    fake_drive.refresh_tokens.pop("refresh-1")
    ok, message = GoogleDriveStorageHook(storage_conn_id="ponton_gdrive_oauth").test_connection()
    assert not ok and "re-authorisation" in message


def test_connection_test_names_the_root_folder(fake_drive, drive_service_account, monkeypatch):
    root = drive_connection(monkeypatch, fake_drive, drive_service_account, "ponton_gdrive_it")
    hook = GoogleDriveStorageHook(storage_conn_id="ponton_gdrive_it")
    assert hook.test_connection() == (True, f"Drive folder {root!r} ({root}) reachable")
    assert fake_drive.files[root]["mimeType"] == FOLDER
