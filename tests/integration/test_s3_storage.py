"""S3 specifics against moto's server: versioning detection, SSE-KMS, errors named clearly."""

from __future__ import annotations

import io

import pytest

from ponton.errors import ConfigError
from ponton.hooks.s3_storage import S3StorageHook
from ponton.storage import ChecksumMismatch
from ponton.storage.port import Versions
from tests.fakes.s3_peer import *  # noqa: F403 - the moto fixtures
from tests.fakes.s3_peer import s3_backend, s3_connection

pytestmark = pytest.mark.integration


def hook(monkeypatch, endpoint, **extra) -> S3StorageHook:
    s3_connection(monkeypatch, endpoint, "ponton_s3_it", **extra)
    return S3StorageHook(storage_conn_id="ponton_s3_it")


def test_unversioned_bucket_is_refused_with_the_command_that_fixes_it(
    s3_bucket, moto_endpoint, monkeypatch
):
    client, bucket = s3_bucket
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    with pytest.raises(ConfigError, match="put-bucket-versioning"):
        s3_backend(client, bucket)
    ok, message = hook(monkeypatch, moto_endpoint, bucket=bucket).test_connection()
    assert not ok and "versioning Suspended" in message


def test_allow_unversioned_keeps_only_the_current_version(s3_bucket, moto_endpoint, monkeypatch):
    client, bucket = s3_bucket
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    storage = s3_backend(client, bucket, allow_unversioned=True)
    storage.put("m/a.pdf", io.BytesIO(b"one"), content_type="application/pdf")
    storage.put("m/a.pdf", io.BytesIO(b"two"), content_type="application/pdf")
    assert not isinstance(storage, Versions)
    assert storage.head("m/a.pdf").size == 3
    assert hook(
        monkeypatch, moto_endpoint, bucket=bucket, allow_unversioned=True
    ).test_connection() == (True, f"bucket {bucket!r} reachable and NOT versioned (allowed)")


def test_sse_kms_and_prefix_are_applied(s3_bucket):
    client, bucket = s3_bucket
    storage = s3_backend(client, bucket, prefix="ponton/", kms_key_id="alias/ponton")
    receipt = storage.put("m/a.pdf", io.BytesIO(b"secret"), content_type="application/pdf")
    stored = client.head_object(Bucket=bucket, Key="ponton/m/a.pdf")
    assert receipt.remote_id == "ponton/m/a.pdf" and "kms" in storage.capabilities
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["Metadata"]["sha256"] == receipt.sha256
    assert list(storage.list_keys()) == ["m/a.pdf"]


def test_missing_bucket_and_missing_extra_are_configuration_errors(
    s3_bucket, moto_endpoint, monkeypatch
):
    client, _bucket = s3_bucket
    with pytest.raises(ConfigError, match="does not exist"):
        s3_backend(client, "no-such-bucket")
    with pytest.raises(ConfigError, match="no 'bucket' extra"):
        hook(monkeypatch, moto_endpoint).get_conn()


def test_a_wrong_checksum_read_back_is_an_error_not_a_success(s3_bucket):
    client, bucket = s3_bucket
    storage = s3_backend(client, bucket)

    def tamper(parsed, **kwargs):  # what a misbehaving proxy or gateway would report
        if parsed.get("ChecksumSHA256"):
            parsed["ChecksumSHA256"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    client.meta.events.register("after-call.s3.HeadObject", tamper)
    try:
        with pytest.raises(ChecksumMismatch, match="S3 notation"):
            storage.put("m/a.pdf", io.BytesIO(b"bytes"), content_type="application/pdf")
    finally:
        client.meta.events.unregister("after-call.s3.HeadObject", tamper)
