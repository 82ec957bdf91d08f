"""SharePoint specifics over Graph REST against the loopback fake: tokens, upload sessions that
resume, Office files the service rewrites, case-insensitive names, versions."""

from __future__ import annotations

import io
import json

import pytest

from ponton.errors import ConfigError, ReauthorizationRequired
from ponton.hooks.sharepoint_storage import SharePointStorageHook
from ponton.storage import ChecksumMismatch, QuotaExceeded
from tests.fakes.graph_peer import *  # noqa: F403 - the Graph fake fixtures
from tests.fakes.graph_peer import graph_connection, sharepoint_backend

pytestmark = pytest.mark.integration
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def graph(fake_graph):
    fake_graph.failures.clear()
    fake_graph.requests.clear()
    return fake_graph, sharepoint_backend(fake_graph)


def put(storage, key: str, data: bytes, content_type: str = "application/pdf"):
    return storage.put(key, io.BytesIO(data), content_type=content_type)


def test_small_files_go_in_one_put_and_large_ones_through_an_upload_session(graph):
    fake, storage = graph
    put(storage, "m/small.pdf", b"x" * 1000)
    put(storage, "m/large.pdf", b"y" * (3 * 320 * 1024 + 5))
    uploads = [path for method, path in fake.requests if method == "PUT"]
    assert uploads[0].endswith("m/small.pdf:/content")
    assert [p.startswith("/upload/") for p in uploads[1:]] == [True] * 4


def test_a_range_lost_mid_upload_resumes_from_next_expected_ranges(graph):
    fake, storage = graph
    data = bytes(range(256)) * (4 * 320 * 4)
    fake.lose_next_range = True
    receipt = put(storage, "m/resumed.pdf", data)
    assert b"".join(storage.get("m/resumed.pdf")) == data and receipt.size == len(data)
    status_queries = [p for m, p in fake.requests if m == "GET" and p.startswith("/upload/")]
    assert len(status_queries) == 1
    assert sum(p.endswith("createUploadSession") for _m, p in fake.requests) == 1


def test_office_files_rewritten_by_sharepoint_verify_by_size_and_record_the_stored_hash(graph):
    _fake, storage = graph
    data = b"PK\x03\x04 a word document"
    receipt = put(storage, "m/minutes.docx", data, DOCX)
    stored = b"".join(storage.get("m/minutes.docx"))
    assert stored != data and receipt.size == len(data)  # rewritten, yet verified
    assert receipt.checksum == storage.head("m/minutes.docx").checksums["quickxor"]


def test_names_differing_only_in_case_are_the_same_file(graph):
    _fake, storage = graph
    first = put(storage, "m/Roadmap.pdf", b"one")
    second = put(storage, "m/ROADMAP.pdf", b"two")
    assert first.remote_id == second.remote_id
    assert list(storage.list_keys()) == ["m/Roadmap.pdf"]


def test_the_current_version_downloads_through_the_item_content(graph):
    _fake, storage = graph
    put(storage, "m/v.pdf", b"one")
    second = put(storage, "m/v.pdf", b"two")
    assert b"".join(storage.get("m/v.pdf", version_id=second.remote_version_id)) == b"two"


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


def test_an_app_without_write_access_is_told_which_permission_to_grant(fake_graph):
    fake_graph.apps["app-reader"] = "reader-secret"
    fake_graph.read_only_clients.add("app-reader")
    storage = sharepoint_backend(fake_graph, client_id="app-reader", secret="reader-secret")
    assert storage.head("m/a.pdf") is None
    with pytest.raises(ConfigError, match=r"Sites\.Selected"):
        put(storage, "m/a.pdf", b"x")


def test_a_wrong_client_secret_asks_for_reauthorisation(fake_graph):
    storage = sharepoint_backend(fake_graph, secret="expired")
    with pytest.raises(ReauthorizationRequired):
        storage.head("m/a.pdf")


def test_drive_is_resolved_from_site_and_library_through_the_hook(fake_graph, monkeypatch):
    graph_connection(
        monkeypatch,
        fake_graph,
        "ponton_sp_site",
        drive_id="",
        site="contoso.sharepoint.com:/sites/missions",
        library="Documents",
    )
    hook = SharePointStorageHook(storage_conn_id="ponton_sp_site")
    assert hook.get_conn().drive_id == "drive-docs"
    assert hook.test_connection()[0] is True


def test_unknown_site_or_library_is_a_configuration_error(fake_graph):
    site = "contoso.sharepoint.com:/sites/x"
    with pytest.raises(ConfigError, match="does not exist"):
        sharepoint_backend(fake_graph, drive_id=None, site=site).head("m/a.pdf")
    site = "contoso.sharepoint.com:/sites/missions"
    storage = sharepoint_backend(fake_graph, drive_id=None, site=site, library="Archives")
    with pytest.raises(ConfigError, match="no library 'Archives'"):
        storage.head("m/a.pdf")


def test_missing_app_credentials_are_named_before_any_call(monkeypatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_PONTON_SP_NOAUTH",
        json.dumps({"conn_type": "ponton_sharepoint", "extra": {"drive_id": "d"}}),
    )
    with pytest.raises(ConfigError, match="needs tenant_id, client id"):
        SharePointStorageHook(storage_conn_id="ponton_sp_noauth").get_conn()


def test_a_rewritten_office_file_is_published_and_verified_once_per_change(fake_graph, platform_db):
    from ponton.context import RunContext
    from ponton.documents.ledger import Destination
    from ponton.documents.publish import publish_stream
    from ponton.documents.verify import verify_destinations
    from ponton.journal import Journal
    from ponton.platform.schema import documents, missions

    with platform_db.begin() as conn:
        mission = conn.execute(
            missions.insert().returning(missions.c.id),
            {"code": "M-1", "title": "Minutes", "status": "active"},
        ).scalar_one()
        document_id = conn.execute(
            documents.insert().returning(documents.c.id),
            {
                "mission_id": mission,
                "kind": "asset",
                "name": "minutes.docx",
                "storage_key": "missions/M-1/minutes.docx",
                "content_type": DOCX,
            },
        ).scalar_one()
    destination = Destination(conn_id="sharepoint_docs", storage=sharepoint_backend(fake_graph))
    journal = Journal(platform_db, RunContext())

    def publish(data: bytes):
        return publish_stream(
            platform_db,
            destination,
            journal,
            document_id=document_id,
            key="missions/M-1/minutes.docx",
            open_stream=lambda: io.BytesIO(data),
            content_type=DOCX,
        )

    outcomes = [publish(b"PK v1").outcome, publish(b"PK v1").outcome, publish(b"PK v2").outcome]
    assert outcomes == ["uploaded", "unchanged", "uploaded"]
    assert verify_destinations(platform_db, [destination], journal).problems == 0
