"""Drive peer for tests: the loopback Drive fake over TLS, one root folder per test, and the
``ponton_gdrive`` connection that points google-api-python-client at it."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.fakes.gdrive import FOLDER, FakeDrive

__all__ = ["drive_connection", "fake_drive", "gdrive_storage"]


@pytest.fixture(scope="session")
def fake_drive(tmp_path_factory):
    with FakeDrive(tmp_path_factory.mktemp("drive-tls")) as fake:
        yield fake


def drive_connection(monkeypatch, fake: FakeDrive, conn_id: str, **extra) -> str:
    """A fresh root folder in the fake and a connection whose ``folder_id`` is that folder."""
    folder_id = f"root-{uuid.uuid4().hex[:8]}"
    fake.files[folder_id] = {"id": folder_id, "name": folder_id, "mimeType": FOLDER, "parents": []}
    extras = {
        "anonymous": True,
        "api_endpoint": f"{fake.url}/drive/v3/",
        "ca_certs": fake.ca_file,
        "folder_id": folder_id,
        "chunk_size": 256 * 1024,
    }
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "ponton_gdrive", "extra": extras | extra}),
    )
    return folder_id


@pytest.fixture
def gdrive_storage(fake_drive, monkeypatch):
    from ponton.hooks.gdrive_storage import GoogleDriveStorageHook

    fake_drive.failures.clear()
    drive_connection(monkeypatch, fake_drive, "ponton_gdrive_test")
    return GoogleDriveStorageHook(storage_conn_id="ponton_gdrive_test")
