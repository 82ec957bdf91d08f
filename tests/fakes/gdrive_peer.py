"""Drive peer for tests: the loopback Drive fake over TLS with its token endpoint, a service
account whose key the fake knows, one root folder per test; the backend built directly (as any
caller of the library would) or through a ``ponton_gdrive`` connection."""

from __future__ import annotations

import json

import pytest

from ponton.retry import RetryPolicy
from tests.fakes.gdrive import DRIVE, FakeDrive

__all__ = [
    "drive_backend",
    "drive_connection",
    "drive_service_account",
    "fake_drive",
    "gdrive_storage",
    "service_account_key",
]

CHUNK = 256 * 1024
FAST_RETRY = RetryPolicy(attempts=4, base_seconds=0.01, max_seconds=0.05)


@pytest.fixture(scope="session")
def fake_drive(tmp_path_factory):
    with FakeDrive(tmp_path_factory.mktemp("drive-tls")) as fake:
        yield fake


def service_account_key(fake: FakeDrive) -> dict:
    """A service-account key file (as the Cloud console issues it) the fake knows."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    email = "ponton-docs@ponton-test.iam.gserviceaccount.com"
    fake.service_accounts[email] = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "ponton-test",
        "private_key_id": "key-1",
        "private_key": private,
        "client_email": email,
        "client_id": "1000",
        "token_uri": f"{fake.url}/token",
    }


@pytest.fixture(scope="session")
def drive_service_account(fake_drive) -> dict:
    return service_account_key(fake_drive)


def drive_backend(fake: FakeDrive, key_info: dict, folder_id: str, *, scopes=(DRIVE,), **options):
    """The Drive backend on a client authenticated with the service account, no Airflow."""
    import google_auth_httplib2
    import httplib2
    from google.oauth2 import service_account
    from googleapiclient.discovery import build

    from ponton.storage.backends.gdrive import DriveOptions, GoogleDriveStorage

    credentials = service_account.Credentials.from_service_account_info(
        key_info, scopes=list(scopes)
    )
    http = httplib2.Http(ca_certs=fake.ca_file, timeout=30)
    http.redirect_codes = http.redirect_codes - {308}
    service = build(
        "drive",
        "v3",
        http=google_auth_httplib2.AuthorizedHttp(credentials, http=http),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": f"{fake.url}/drive/v3/"},
    )
    settings = DriveOptions(**({"folder_id": folder_id, "chunk_size": CHUNK} | options))
    return GoogleDriveStorage(service=service, options=settings, retry=FAST_RETRY)


def drive_connection(monkeypatch, fake: FakeDrive, key_info: dict, conn_id: str, **extra) -> str:
    """A fresh root folder in the fake and a connection whose ``folder_id`` is that folder."""
    folder_id = extra.pop("folder_id", None) or fake.new_folder()
    extras = {
        "keyfile_dict": json.dumps(key_info),
        "api_endpoint": f"{fake.url}/drive/v3/",
        "ca_certs": fake.ca_file,
        "folder_id": folder_id,
        "chunk_size": CHUNK,
    }
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "ponton_gdrive", "extra": extras | extra}),
    )
    return folder_id


@pytest.fixture
def gdrive_storage(fake_drive, drive_service_account):
    fake_drive.failures.clear()
    return drive_backend(fake_drive, drive_service_account, fake_drive.new_folder())
