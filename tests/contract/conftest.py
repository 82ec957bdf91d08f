"""One storage per backend for the shared contract suite, each built directly from its class (a
ready client and typed options, no Airflow connection); cloud backends against loopback peers:
S3 through moto's server, Drive and SharePoint through the fakes in ``tests/fakes``."""

from __future__ import annotations

import pytest

from tests.fakes.gdrive_peer import *  # noqa: F403 - the Drive fake fixtures
from tests.fakes.gdrive_peer import drive_backend, drive_connection
from tests.fakes.graph_peer import *  # noqa: F403 - the Graph fake fixtures
from tests.fakes.graph_peer import graph_connection, sharepoint_backend
from tests.fakes.s3_peer import *  # noqa: F403 - the moto fixtures
from tests.fakes.s3_peer import PART, s3_backend, s3_connection

BACKENDS = ["local", "s3", "gdrive", "sharepoint"]


@pytest.fixture
def local_storage(tmp_path):
    from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

    return LocalFolderStorage(options=LocalOptions(root=tmp_path / "storage"))


@pytest.fixture(params=BACKENDS)
def storage(request):
    return request.getfixturevalue(f"{request.param}_storage")


@pytest.fixture
def local_conn_id(tmp_path, monkeypatch) -> str:
    import json

    extra = {"path": str(tmp_path / "hooked")}
    conn = {"conn_type": "ponton_local_storage", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_PONTON_LOCAL_HOOKED", json.dumps(conn))
    return "ponton_local_hooked"


@pytest.fixture
def s3_conn_id(s3_bucket, moto_endpoint, monkeypatch) -> str:
    _client, bucket = s3_bucket
    s3_connection(monkeypatch, moto_endpoint, "ponton_s3_hooked", bucket=bucket, part_size=PART)
    return "ponton_s3_hooked"


@pytest.fixture
def gdrive_conn_id(fake_drive, drive_service_account, monkeypatch) -> str:
    drive_connection(monkeypatch, fake_drive, drive_service_account, "ponton_gdrive_hooked")
    return "ponton_gdrive_hooked"


@pytest.fixture
def sharepoint_conn_id(fake_graph, monkeypatch) -> str:
    graph_connection(monkeypatch, fake_graph, "ponton_sharepoint_hooked")
    return "ponton_sharepoint_hooked"


@pytest.fixture
def local_factory(tmp_path):
    from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

    roots = iter(range(100))
    return lambda: LocalFolderStorage(options=LocalOptions(root=tmp_path / f"root-{next(roots)}"))


@pytest.fixture
def s3_factory(s3_bucket):
    import uuid

    client, _bucket = s3_bucket

    def make():
        name = f"ponton-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=name)
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return s3_backend(client, name)

    return make


@pytest.fixture
def gdrive_factory(fake_drive, drive_service_account):
    return lambda: drive_backend(fake_drive, drive_service_account, fake_drive.new_folder())


@pytest.fixture
def sharepoint_factory(fake_graph):
    return lambda: sharepoint_backend(fake_graph)


@pytest.fixture(params=BACKENDS)
def storage_factory(request):
    """Makes fresh, independent storages of one backend (two buckets, two folders...)."""
    return request.getfixturevalue(f"{request.param}_factory")
