"""S3 (and S3-compatible) storage on a ready boto3 client.

Each put sends SHA-256 checksums (S3 rejects a body that does not match them) and reads the stored
checksum back: the whole-object SHA-256 for a single put, the composite one (the SHA-256 of the
parts' digests, then ``-N``) for a multipart upload, whose whole-object SHA-256 we also record in
the object's metadata. Earlier versions are kept by bucket versioning, checked once when the
backend is opened (:meth:`S3Storage.open`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from ponton.errors import (
    ConfigError,
    PontonError,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.retry import RetryPolicy
from ponton.storage.backends.base import VerifiedStorage
from ponton.storage.hashing import Digests
from ponton.storage.keys import S3_RULES, validate_key
from ponton.storage.port import ChecksumMismatch, ObjectInfo, ObjectNotFound, VersionInfo
from ponton.storage.streams import parts

AUTH_CODES = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"}
THROTTLE_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "503"}
CHECKSUM_CODES = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidRequest"}


@dataclass(frozen=True, slots=True, kw_only=True)
class S3Options:
    bucket: str
    prefix: str = ""
    kms_key_id: str | None = None
    part_size: int = 8 * 1024 * 1024  # one part in memory at a time
    allow_unversioned: bool = False
    conn_id: str = "ponton_storage_s3"  # named in re-authorisation errors


class S3Storage(VerifiedStorage):
    """A bucket (and optional prefix) keeping only the current version of each key."""

    name = "s3"
    algorithm = "sha256"
    rules = S3_RULES

    def __init__(self, *, client: Any, options: S3Options, retry: RetryPolicy | None = None):
        super().__init__(retry=retry)
        self.client, self.options = client, options
        self.location = f"s3://{options.bucket}/{options.prefix}"
        self.capabilities = frozenset(
            {"sha256", "resumable"} | ({"kms"} if options.kms_key_id else set())
        )

    @classmethod
    def open(cls, *, client: Any, options: S3Options, retry: RetryPolicy | None = None):
        """The backend for this bucket: versioned when bucket versioning is on; an unversioned
        bucket is refused unless ``allow_unversioned`` (earlier versions would be lost)."""
        probe = cls(client=client, options=options, retry=retry)
        status = probe._call(
            f"versioning of s3://{options.bucket}",
            client.get_bucket_versioning,
            Bucket=options.bucket,
        ).get("Status")
        if status == "Enabled":
            return VersionedS3Storage(client=client, options=options, retry=retry)
        if not options.allow_unversioned:
            raise ConfigError(
                f"S3 bucket {options.bucket!r} has versioning {status or 'off'}: earlier roadmap "
                "versions would be overwritten. Enable it (aws s3api put-bucket-versioning "
                f"--bucket {options.bucket} --versioning-configuration Status=Enabled) or set "
                "allow_unversioned in the connection to keep only the current version"
            )
        return probe

    def _key(self, key: str) -> str:
        return self.options.prefix + validate_key(key, S3_RULES)

    def _translate(self, exc: Exception, what: str) -> PontonError | None:
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, BotoCoreError):
            return TransientError(f"S3 {what}: {type(exc).__name__}: {exc}")
        if not isinstance(exc, ClientError):
            return None
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code")), str(error.get("Message", ""))
        where = f"S3 {what}"
        if code in ("NoSuchKey", "404", "NoSuchVersion"):
            return ObjectNotFound(f"{where}: not found ({code})")
        if code == "NoSuchBucket":
            return ConfigError(f"{where}: the bucket does not exist; fix the connection")
        if code in AUTH_CODES:
            return ReauthorizationRequired(self.options.conn_id, f"{where}: {code}")
        if code in THROTTLE_CODES:
            return ThrottledError(f"{where}: throttled ({code}), retry later")
        if code in CHECKSUM_CODES and "checksum" in message.lower():
            return ChecksumMismatch("s3", what, "sha256", "sent", code)
        return TransientError(f"{where}: {code} {message}")

    def _s3(self, method: str, **kwargs: Any) -> dict:
        where = f"{method} on s3://{self.options.bucket}/{kwargs.get('Key', '')}"
        return self._call(where, getattr(self.client, method), Bucket=self.options.bucket, **kwargs)

    # -- the verified put's vendor steps ---------------------------------------------------------
    def _raw_head(self, key: str) -> dict | None:
        try:
            return self._s3("head_object", Key=self._key(key), ChecksumMode="ENABLED")
        except ObjectNotFound:
            return None

    def head(self, key: str) -> ObjectInfo | None:
        found = self._raw_head(key)
        if found is None:
            return None
        checksum = found.get("ChecksumSHA256") or ""
        meta = found.get("Metadata", {})
        # A multipart object's checksum is composite (a hash of the parts' hashes): the SHA-256 we
        # recorded in its metadata was verified against it at upload time and stands for it.
        whole = base64.b64decode(checksum.partition("-")[0]).hex() if checksum else None
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

    def _upload(self, key, stream: BinaryIO, ours: Digests, *, content_type, metadata, current):
        common = {"Key": self._key(key), "ContentType": content_type, "Metadata": metadata}
        if self.options.kms_key_id:
            common |= {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.options.kms_key_id}
        if ours.size <= max(self.options.part_size, 1):
            body = stream.read()
            sent = base64.b64encode(hashlib.sha256(body).digest()).decode()
            self._s3(
                "put_object", Body=body, ChecksumAlgorithm="SHA256", ChecksumSHA256=sent, **common
            )
            return sent
        return self._multipart(stream, common)

    def _multipart(self, stream: BinaryIO, common: dict) -> str:
        """Upload in parts of ``part_size`` bytes (one in memory at a time); returns the
        composite checksum S3 must report: sha256 of the parts' sha256 digests, then ``-N``."""
        upload = self._s3("create_multipart_upload", ChecksumAlgorithm="SHA256", **common)
        upload_id, done, digests = upload["UploadId"], [], b""
        try:
            for number, block in enumerate(parts(stream, self.options.part_size), start=1):
                digest = hashlib.sha256(block).digest()
                digests += digest
                sent = base64.b64encode(digest).decode()
                part = self._s3(
                    "upload_part",
                    Key=common["Key"],
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=block,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=sent,
                )
                done.append({"ETag": part["ETag"], "PartNumber": number, "ChecksumSHA256": sent})
            self._s3(
                "complete_multipart_upload",
                Key=common["Key"],
                UploadId=upload_id,
                MultipartUpload={"Parts": done},
            )
        except BaseException:
            self.client.abort_multipart_upload(
                Bucket=self.options.bucket, Key=common["Key"], UploadId=upload_id
            )
            raise
        return f"{base64.b64encode(hashlib.sha256(digests).digest()).decode()}-{len(done)}"

    def _read_back(self, key: str, sent: str) -> ObjectInfo:
        """Compare the checksum S3 stored with the one we sent, in S3's notation."""
        found = self._raw_head(key) or {}
        reported = found.get("ChecksumSHA256")
        if reported and "-" in sent and "-" not in reported:
            reported = f"{reported}-{sent.rpartition('-')[2]}"  # moto omits the "-N" suffix
        if reported != sent:
            raise ChecksumMismatch("s3", key, "sha256 (S3 notation)", sent, reported or "nothing")
        return self.head(key)

    # -- reads -----------------------------------------------------------------------------------
    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        extra = {"VersionId": version_id} if version_id else {}
        body = self._s3("get_object", Key=self._key(key), **extra)["Body"]
        yield from body.iter_chunks(1024 * 1024)

    def list_keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.options.bucket, Prefix=self.options.prefix)
        for page in self._call("list the bucket", list, pages):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.options.prefix) :]


class VersionedS3Storage(S3Storage):
    """A bucket with versioning enabled: every put keeps the previous version."""

    def list_versions(self, key: str) -> list[VersionInfo]:
        s3_key = self._key(key)
        paginator = self.client.get_paginator("list_object_versions")
        pages = paginator.paginate(Bucket=self.options.bucket, Prefix=s3_key)
        found = [
            VersionInfo(v["VersionId"], v["Size"], v["LastModified"])
            for page in self._call(f"list versions of {key!r}", list, pages)
            for v in page.get("Versions", [])
            if v["Key"] == s3_key
        ]
        return found[::-1]  # S3 lists a key's versions newest first

    def delete_version(self, key: str, version_id: str) -> None:
        self._s3("delete_object", Key=self._key(key), VersionId=version_id)
