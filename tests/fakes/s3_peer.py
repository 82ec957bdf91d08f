"""S3 peer for tests: moto's threaded server on loopback, a fresh versioned bucket per test, and
the Airflow connections (``aws`` + ``ponton_s3``) that point boto3 at it."""

from __future__ import annotations

import json
import os
import uuid

import pytest

# Small multipart parts so the "large file" contract case stays fast; moto enforces S3's 5 MiB
# minimum unless told otherwise (read when moto is imported, hence before any import of it).
os.environ.setdefault("S3_UPLOAD_PART_MIN_SIZE", str(256 * 1024))
PART = 256 * 1024

__all__ = ["PART", "moto_endpoint", "s3_backend", "s3_bucket", "s3_connection", "s3_storage"]


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_connection(monkeypatch, endpoint: str, conn_id: str, **extra) -> None:
    """An AWS connection pointing boto3 at moto, and the ponton_s3 connection using it."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_MOTO",
        json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
            }
        ),
    )
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "ponton_s3", "extra": {"aws_conn_id": "aws_moto", **extra}}),
    )


@pytest.fixture
def s3_bucket(moto_endpoint):
    """A fresh versioned bucket per test."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    name = f"ponton-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return client, name


def s3_backend(client, bucket: str, **options):
    """The S3 backend on a ready boto3 client, no Airflow."""
    from ponton.storage.backends.s3 import S3Options, S3Storage

    return S3Storage.open(
        client=client, options=S3Options(**({"bucket": bucket, "part_size": PART} | options))
    )


@pytest.fixture
def s3_storage(s3_bucket):
    client, bucket = s3_bucket
    return s3_backend(client, bucket)
