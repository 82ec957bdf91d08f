"""SharePoint peer for tests: the loopback Graph fake over TLS with its Entra ID token endpoint,
one drive per test; the backend built directly (azure-identity credential + requests session, as
any caller of the library would) or through a ``ponton_sharepoint`` connection."""

from __future__ import annotations

import json

import pytest

from ponton.retry import RetryPolicy
from tests.fakes.graph_drive import FakeGraph

__all__ = ["fake_graph", "graph_connection", "sharepoint_backend", "sharepoint_storage"]

CLIENT_ID, SECRET, TENANT = "app-docs", "secret-docs-1", "tenant-1"
FAST_RETRY = RetryPolicy(attempts=4, base_seconds=0.01, max_seconds=0.05)
TEST_OPTIONS = {
    "chunk_size": 320 * 1024,
    "simple_upload_limit": 320 * 1024,  # the contract's large file takes the session path
}


@pytest.fixture(scope="session")
def fake_graph(tmp_path_factory):
    with FakeGraph(
        tmp_path_factory.mktemp("graph-tls"), client_id=CLIENT_ID, client_secret=SECRET
    ) as fake:
        yield fake


def sharepoint_backend(fake: FakeGraph, *, client_id=CLIENT_ID, secret=SECRET, **options):
    """The SharePoint backend on a requests session and an Entra ID credential, no Airflow."""
    import requests
    from azure.identity import ClientSecretCredential

    from ponton.storage.backends.sharepoint import SharePointOptions, SharePointStorage

    credential = ClientSecretCredential(
        TENANT,
        client_id,
        secret,
        authority=fake.url,
        disable_instance_discovery=True,
        connection_verify=fake.ca_file,
    )
    settings = SharePointOptions(
        **(
            {
                "drive_id": fake.new_drive(),
                "graph_endpoint": f"{fake.url}/v1.0",
                "ca_certs": fake.ca_file,
            }
            | TEST_OPTIONS
            | options
        )
    )
    return SharePointStorage(
        session=requests.Session(),
        token=lambda: credential.get_token(f"{fake.url}/.default").token,
        options=settings,
        retry=FAST_RETRY,
    )


def graph_connection(monkeypatch, fake: FakeGraph, conn_id: str, **extra) -> None:
    extras = {
        "tenant_id": TENANT,
        "authority_host": fake.url,
        "graph_endpoint": f"{fake.url}/v1.0",
        "ca_certs": fake.ca_file,
        "drive_id": fake.new_drive(),
    } | TEST_OPTIONS
    conn = {"conn_type": "ponton_sharepoint", "login": CLIENT_ID, "password": SECRET}
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn | {"extra": extras | extra})
    )


@pytest.fixture
def sharepoint_storage(fake_graph):
    fake_graph.failures.clear()
    return sharepoint_backend(fake_graph)
