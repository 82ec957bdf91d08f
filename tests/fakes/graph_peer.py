"""SharePoint peer for tests: the loopback Graph fake, one drive per test, and the
``ponton_sharepoint`` connection pointing the hook at it."""

from __future__ import annotations

import json

import pytest

from tests.fakes.graph_drive import FakeGraph

__all__ = ["fake_graph", "graph_connection", "sharepoint_storage"]


@pytest.fixture(scope="session")
def fake_graph():
    with FakeGraph() as fake:
        yield fake


def graph_connection(monkeypatch, fake: FakeGraph, conn_id: str, **extra) -> None:
    extras = {
        "anonymous": True,
        "graph_endpoint": f"{fake.url}/v1.0",
        "drive_id": fake.new_drive(),
        "chunk_size": 320 * 1024,
        "simple_upload_limit": 320 * 1024,  # the contract's large file takes the session path
    }
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "ponton_sharepoint", "extra": extras | extra}),
    )


@pytest.fixture
def sharepoint_storage(fake_graph, monkeypatch):
    from ponton.hooks.sharepoint_storage import SharePointStorageHook

    fake_graph.failures.clear()
    graph_connection(monkeypatch, fake_graph, "ponton_sharepoint_test")
    return SharePointStorageHook(storage_conn_id="ponton_sharepoint_test")
