"""S3 document storage (``ponton_s3`` connection) built on the amazon provider's ``S3Hook``.

Credentials, region and endpoint come from the AWS connection named in the ``aws_conn_id`` extra,
so rotation and assumed roles work as for any Airflow AWS task. Each put sends SHA-256 checksums
(S3 rejects a body that does not match) and reads the stored checksum back.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any, BinaryIO

from airflow.sdk import BaseHook

from ponton.errors import ConfigError, ReauthorizationRequired, ThrottledError, TransientError
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.storage.keys import S3_RULES, validate_key
from ponton.storage.port import (
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    Receipt,
    VersionInfo,
    verify_checksum,
)
from ponton.storage.streams import parts, prehash

MIN_PART = 5 * 1024 * 1024
AUTH_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"}
THROTTLE_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "503"}
CHECKSUM_CODES = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidRequest"}


def _b64_to_hex(value: str) -> str:
    return base64.b64decode(value).hex()


class S3StorageHook(MaskedConnectionMixin, BaseHook):
    """A versioned bucket (and optional prefix) as a :class:`ponton.storage.Storage`.

    Extras: ``bucket`` (required), ``prefix``, ``aws_conn_id`` (default ``aws_default``),
    ``kms_key_id`` (SSE-KMS), ``part_size`` (bytes per multipart part, default 8 MiB),
    ``allow_unversioned`` (keep only the current version instead of refusing the bucket).
    """

    conn_name_attr = "storage_conn_id"
    default_conn_name = "ponton_storage_s3"
    conn_type = "ponton_s3"
    hook_name = "ponton S3 storage"
    name = "s3"
    algorithm = "sha256"

    def __init__(self, *, storage_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.storage_conn_id = storage_conn_id

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, StringField

        return {
            "bucket": StringField(lazy_gettext("Bucket"), widget=BS3TextFieldWidget()),
            "prefix": StringField(lazy_gettext("Key prefix"), widget=BS3TextFieldWidget()),
            "aws_conn_id": StringField(lazy_gettext("AWS connection"), widget=BS3TextFieldWidget()),
            "kms_key_id": StringField(lazy_gettext("KMS key id"), widget=BS3TextFieldWidget()),
            "allow_unversioned": BooleanField(lazy_gettext("Allow unversioned bucket")),
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["host", "schema", "login", "password", "port"],
            "placeholders": {
                "extra": '{"bucket": "ponton-docs", "prefix": "roadmaps/", '
                '"aws_conn_id": "aws_default", "kms_key_id": "alias/ponton"}'
            },
        }

    @cached_property
    def extras(self) -> dict[str, Any]:
        extra = self.get_connection(self.storage_conn_id).extra_dejson
        if not extra.get("bucket"):
            raise ConfigError(
                f"connection {self.storage_conn_id!r} has no 'bucket' extra; add the bucket name"
            )
        return extra

    @property
    def bucket(self) -> str:
        return self.extras["bucket"]

    @property
    def part_size(self) -> int:
        return int(self.extras.get("part_size") or 8 * 1024 * 1024)

    @cached_property
    def client(self):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        return S3Hook(aws_conn_id=self.extras.get("aws_conn_id") or "aws_default").get_conn()

    def get_conn(self) -> S3StorageHook:
        return self

    @cached_property
    def versioned(self) -> bool:
        status = self._call("get_bucket_versioning", Bucket=self.bucket).get("Status")
        unversioned_ok = str(self.extras.get("allow_unversioned")).strip().lower() in ("true", "1")
        if status != "Enabled" and not unversioned_ok:
            raise ConfigError(
                f"S3 bucket {self.bucket!r} has versioning {status or 'off'}: earlier roadmap "
                "versions would be overwritten. Enable it (aws s3api put-bucket-versioning "
                f"--bucket {self.bucket} --versioning-configuration Status=Enabled) or set "
                "allow_unversioned in the connection to keep only the current version"
            )
        return status == "Enabled"

    @property
    def capabilities(self) -> frozenset[str]:
        caps = {"sha256", "resumable"} | ({"kms"} if self.extras.get("kms_key_id") else set())
        return frozenset(caps | ({"versions"} if self.versioned else set()))

    def _key(self, key: str) -> str:
        """The object key; also checks the bucket once (exists, versioning) before any call."""
        s3_key = (self.extras.get("prefix") or "") + validate_key(key, S3_RULES)
        self.versioned  # noqa: B018 - cached: NoSuchBucket or unversioned fails here, clearly
        return s3_key

    def _call(self, method: str, **kwargs: Any) -> dict:
        """One S3 call with vendor errors translated; boto3 itself retries throttling first."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code"))
            where = f"S3 {method} on s3://{kwargs.get('Bucket')}/{kwargs.get('Key', '')}"
            if code in ("NoSuchKey", "404", "NoSuchVersion"):
                raise ObjectNotFound(f"{where}: not found ({code})") from exc
            if code == "NoSuchBucket":
                raise ConfigError(
                    f"{where}: the bucket does not exist; fix the connection"
                ) from exc
            if code in AUTH_CODES:
                raise ReauthorizationRequired(self.storage_conn_id, f"{where}: {code}") from exc
            if code in THROTTLE_CODES:
                raise ThrottledError(f"{where}: throttled ({code}), retry later") from exc
            if code in CHECKSUM_CODES and "checksum" in str(error.get("Message", "")).lower():
                raise ChecksumMismatch("s3", kwargs.get("Key", ""), "sha256", "sent", code) from exc
            raise TransientError(f"{where}: {code} {error.get('Message', '')}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"S3 {method}: {type(exc).__name__}: {exc}") from exc

    def _encryption(self) -> dict[str, str]:
        kms = self.extras.get("kms_key_id")
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms} if kms else {}

    def put(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Receipt:
        s3_key = self._key(key)
        ours = prehash(stream, "sha256", key)
        current = self.head(key)
        if current is not None and current.checksums.get("sha256") == ours.sha256:
            return Receipt(
                validate_key(key), s3_key, current.remote_version_id, ours.sha256, ours.size,
                "sha256", ours.sha256, created=False,
            )  # fmt: skip
        common = {
            "Bucket": self.bucket,
            "Key": s3_key,
            "ContentType": content_type,
            "Metadata": {**(metadata or {}), "sha256": ours.sha256},
            **self._encryption(),
        }
        if ours.size <= max(self.part_size, 1):
            body = stream.read()
            sent = base64.b64encode(hashlib.sha256(body).digest()).decode()
            self._call(
                "put_object", Body=body, ChecksumAlgorithm="SHA256", ChecksumSHA256=sent, **common
            )
            expected = sent
        else:
            expected = self._multipart(stream, common)
        stored = self._call("head_object", Bucket=self.bucket, Key=s3_key, ChecksumMode="ENABLED")
        reported = stored.get("ChecksumSHA256")
        if reported and "-" in expected and "-" not in reported:
            reported = f"{reported}-{expected.rpartition('-')[2]}"  # moto omits the "-N" suffix
        verify_checksum("s3", key, "sha256 (S3 notation)", expected, reported)
        return Receipt(
            validate_key(key), s3_key, stored.get("VersionId"), ours.sha256, ours.size, "sha256",
            ours.sha256,
        )  # fmt: skip

    def _multipart(self, stream: BinaryIO, common: dict) -> str:
        """Upload in parts of ``part_size`` bytes (one in memory at a time); returns the
        composite checksum S3 must report: sha256 of the parts' sha256 digests, then ``-N``."""
        upload = self._call("create_multipart_upload", ChecksumAlgorithm="SHA256", **common)
        upload_id, done, digests = upload["UploadId"], [], b""
        try:
            for number, block in enumerate(parts(stream, self.part_size), start=1):
                digest = hashlib.sha256(block).digest()
                digests += digest
                sent = base64.b64encode(digest).decode()
                part = self._call(
                    "upload_part", Bucket=self.bucket, Key=common["Key"], UploadId=upload_id,
                    PartNumber=number, Body=block, ChecksumAlgorithm="SHA256", ChecksumSHA256=sent,
                )  # fmt: skip
                done.append({"ETag": part["ETag"], "PartNumber": number, "ChecksumSHA256": sent})
            self._call(
                "complete_multipart_upload", Bucket=self.bucket, Key=common["Key"],
                UploadId=upload_id, MultipartUpload={"Parts": done},
            )  # fmt: skip
        except BaseException:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=common["Key"], UploadId=upload_id
            )
            raise
        return f"{base64.b64encode(hashlib.sha256(digests).digest()).decode()}-{len(done)}"

    def head(self, key: str) -> ObjectInfo | None:
        try:
            found = self._call(
                "head_object", Bucket=self.bucket, Key=self._key(key), ChecksumMode="ENABLED"
            )
        except ObjectNotFound:
            return None
        checksum = found.get("ChecksumSHA256") or ""
        meta = found.get("Metadata", {})
        # A multipart object's checksum is composite (a hash of the parts' hashes): the SHA-256 we
        # recorded in its metadata was verified against it at upload time and stands for it.
        whole = _b64_to_hex(checksum.partition("-")[0]) if checksum else None
        recorded = meta.get("sha256")
        full_object = found.get("ChecksumType") == "FULL_OBJECT"
        sha = whole if full_object or not recorded or whole == recorded else recorded
        return ObjectInfo(
            key=validate_key(key),
            remote_id=self._key(key),
            remote_version_id=found.get("VersionId"),
            size=found["ContentLength"],
            content_type=found.get("ContentType"),
            checksums={"sha256": sha} if sha else {},
            metadata=meta,
        )

    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        extra = {"VersionId": version_id} if version_id else {}
        body = self._call("get_object", Bucket=self.bucket, Key=self._key(key), **extra)["Body"]
        yield from body.iter_chunks(1024 * 1024)

    def list_versions(self, key: str) -> list[VersionInfo]:
        s3_key = self._key(key)
        if not self.versioned:
            current = self.head(key)
            return (
                [VersionInfo(current.remote_version_id or "null", current.size)] if current else []
            )
        found: list[VersionInfo] = []
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=s3_key):
            found += [
                VersionInfo(v["VersionId"], v["Size"], v["LastModified"])
                for v in page.get("Versions", [])
                if v["Key"] == s3_key
            ]
        return found[::-1]  # S3 lists a key's versions newest first

    def test_connection(self) -> tuple[bool, str]:
        try:
            versioning = "versioned" if self.versioned else "NOT versioned (allowed)"
        except Exception as exc:  # noqa: BLE001 - reported to the user, not raised
            return False, f"S3 storage {self.storage_conn_id!r}: {exc}"
        return True, f"bucket {self.bucket!r} reachable and {versioning}"
