"""S3 specifics against moto's server: versioning detection, SSE-KMS, errors named clearly."""

from __future__ import annotations

import io
import os

import pytest

from ponton.errors import ConfigError
from ponton.hooks.s3_storage import S3StorageHook
from ponton.storage import ChecksumMismatch
from tests.fakes.s3_peer import *  # noqa: F403 - the moto fixtures
from tests.fakes.s3_peer import s3_connection

pytestmark = pytest.mark.integration


def hook(monkeypatch, endpoint, **extra) -> S3StorageHook:
    s3_connection(monkeypatch, endpoint, "ponton_s3_it", **extra)
    return S3StorageHook(storage_conn_id="ponton_s3_it")


def test_unversioned_bucket_is_refused_with_the_command_that_fixes_it(
    s3_bucket, moto_endpoint, monkeypatch
):
    client, bucket = s3_bucket
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    storage = hook(monkeypatch, moto_endpoint, bucket=bucket)
    with pytest.raises(ConfigError, match="put-bucket-versioning"):
        storage.put("m/a.pdf", io.BytesIO(b"x"), content_type="application/pdf")
    ok, message = storage.test_connection()
    assert not ok and "versioning Suspended" in message


def test_allow_unversioned_keeps_only_the_current_version(s3_bucket, moto_endpoint, monkeypatch):
    client, bucket = s3_bucket
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    storage = hook(monkeypatch, moto_endpoint, bucket=bucket, allow_unversioned=True)
    storage.put("m/a.pdf", io.BytesIO(b"one"), content_type="application/pdf")
    storage.put("m/a.pdf", io.BytesIO(b"two"), content_type="application/pdf")
    assert "versions" not in storage.capabilities
    assert [v.size for v in storage.list_versions("m/a.pdf")] == [3]
    assert storage.test_connection() == (
        True,
        f"bucket {bucket!r} reachable and NOT versioned (allowed)",
    )


def test_sse_kms_and_prefix_are_applied(s3_bucket, moto_endpoint, monkeypatch):
    client, bucket = s3_bucket
    storage = hook(
        monkeypatch, moto_endpoint, bucket=bucket, prefix="ponton/", kms_key_id="alias/ponton"
    )
    receipt = storage.put("m/a.pdf", io.BytesIO(b"secret"), content_type="application/pdf")
    stored = client.head_object(Bucket=bucket, Key="ponton/m/a.pdf")
    assert receipt.remote_id == "ponton/m/a.pdf" and "kms" in storage.capabilities
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["Metadata"]["sha256"] == receipt.sha256


def test_missing_bucket_and_missing_extra_are_configuration_errors(moto_endpoint, monkeypatch):
    with pytest.raises(ConfigError, match="does not exist"):
        hook(monkeypatch, moto_endpoint, bucket="no-such-bucket").head("m/a.pdf")
    with pytest.raises(ConfigError, match="no 'bucket' extra"):
        hook(monkeypatch, moto_endpoint).head("m/a.pdf")


def test_a_wrong_checksum_read_back_is_an_error_not_a_success(
    s3_bucket, moto_endpoint, monkeypatch
):
    _client, bucket = s3_bucket
    storage = hook(monkeypatch, moto_endpoint, bucket=bucket)

    def tamper(parsed, **kwargs):  # what a misbehaving proxy or gateway would report
        if parsed.get("ChecksumSHA256"):
            parsed["ChecksumSHA256"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    storage.client.meta.events.register("after-call.s3.HeadObject", tamper)
    with pytest.raises(ChecksumMismatch, match="S3 notation"):
        storage.put("m/a.pdf", io.BytesIO(b"bytes"), content_type="application/pdf")


def test_blank_form_fields_mean_the_documented_defaults(s3_bucket, moto_endpoint, monkeypatch):
    """The Airflow 3 form saves a blank field as null: aws_conn_id null is aws_default (here the
    moto endpoint), not boto's own credential chain; a null part size is 8 MiB."""
    client, bucket = s3_bucket
    blanks = {"aws_conn_id": None, "prefix": None, "kms_key_id": None, "part_size": None}
    storage = hook(monkeypatch, moto_endpoint, bucket=bucket, **blanks)
    monkeypatch.setenv("AIRFLOW_CONN_AWS_DEFAULT", os.environ["AIRFLOW_CONN_AWS_MOTO"])
    storage.put("m/a.pdf", io.BytesIO(b"one"), content_type="application/pdf")
    assert client.get_object(Bucket=bucket, Key="m/a.pdf")["Body"].read() == b"one"
    assert storage.part_size == 8 * 1024 * 1024


@pytest.mark.parametrize("unticked", [False, "false", None])
def test_an_unticked_allow_unversioned_box_still_refuses_the_bucket(
    s3_bucket, moto_endpoint, monkeypatch, unticked
):
    client, bucket = s3_bucket
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    storage = hook(monkeypatch, moto_endpoint, bucket=bucket, allow_unversioned=unticked)
    assert storage.test_connection()[0] is False
