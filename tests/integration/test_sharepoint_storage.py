"""SharePoint specifics over Graph REST against the loopback fake."""

from __future__ import annotations

import io

import pytest

from ponton.errors import ConfigError
from ponton.hooks.sharepoint_storage import SharePointStorageHook
from ponton.storage import ChecksumMismatch, QuotaExceeded
from tests.fakes.graph_peer import *  # noqa: F403 - the Graph fake fixtures
from tests.fakes.graph_peer import graph_connection

pytestmark = pytest.mark.integration


@pytest.fixture
def graph(fake_graph, monkeypatch):
    fake_graph.failures.clear()
    fake_graph.requests.clear()
    graph_connection(monkeypatch, fake_graph, "ponton_sp_it", max_retries=3)
    return fake_graph, SharePointStorageHook(storage_conn_id="ponton_sp_it")


def put(storage, key: str, data: bytes):
    return storage.put(key, io.BytesIO(data), content_type="application/pdf")


def test_small_files_go_in_one_put_and_large_ones_through_an_upload_session(graph):
    fake, storage = graph
    put(storage, "m/small.pdf", b"x" * 1000)
    put(storage, "m/large.pdf", b"y" * (3 * 320 * 1024 + 5))
    uploads = [path for method, path in fake.requests if method == "PUT"]
    assert uploads[0].endswith("m/small.pdf:/content")
    assert [p.startswith("/upload/") for p in uploads[1:]] == [True] * 4


def test_wrong_quickxorhash_from_graph_is_an_error_not_a_success(graph):
    fake, storage = graph
    fake.corrupt_next_checksum = True
    with pytest.raises(ChecksumMismatch, match="quickxor"):
        put(storage, "m/a.pdf", b"bytes")


def test_429_with_retry_after_then_503_are_retried_until_success(graph):
    fake, storage = graph
    fake.fail_next(429, {"error": {"code": "activityLimitReached"}}, {"Retry-After": "0"})
    fake.fail_next(503, {"error": {"code": "serviceNotAvailable"}}, {"Retry-After": "0"})
    assert put(storage, "m/a.pdf", b"after retries").size == 13


def test_full_quota_is_a_clear_permanent_error(graph):
    fake, storage = graph
    fake.quota_bytes = 0
    try:
        with pytest.raises(QuotaExceeded, match="out of storage"):
            put(storage, "m/a.pdf", b"no room")
    finally:
        fake.quota_bytes = None


def test_drive_is_resolved_from_site_and_library(fake_graph, monkeypatch):
    graph_connection(
        monkeypatch, fake_graph, "ponton_sp_site", drive_id="",
        site="contoso.sharepoint.com:/sites/missions", library="Documents",
    )  # fmt: skip
    storage = SharePointStorageHook(storage_conn_id="ponton_sp_site")
    assert storage.drive_id == "drive-docs"
    assert storage.test_connection()[0] is True


def test_unknown_site_or_library_is_a_configuration_error(fake_graph, monkeypatch):
    graph_connection(
        monkeypatch,
        fake_graph,
        "ponton_sp_bad",
        drive_id="",
        site="contoso.sharepoint.com:/sites/x",
    )
    with pytest.raises(ConfigError, match="does not exist"):
        SharePointStorageHook(storage_conn_id="ponton_sp_bad").head("m/a.pdf")
    graph_connection(
        monkeypatch, fake_graph, "ponton_sp_bad", drive_id="",
        site="contoso.sharepoint.com:/sites/missions", library="Archives",
    )  # fmt: skip
    with pytest.raises(ConfigError, match="no library 'Archives'"):
        SharePointStorageHook(storage_conn_id="ponton_sp_bad").head("m/a.pdf")


def test_missing_app_credentials_are_named_before_any_call(monkeypatch):
    import json

    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_SP_NOAUTH",
        json.dumps({"conn_type": "ponton_sharepoint", "extra": {"drive_id": "d"}}),
    )
    with pytest.raises(ConfigError, match="needs tenant_id, client id"):
        SharePointStorageHook(storage_conn_id="ponton_sp_noauth").head("m/a.pdf")
