"""S3 document storage (``ponton_s3`` connection) built on the amazon provider's ``S3Hook``.

Credentials, region and endpoint come from the AWS connection named in the ``aws_conn_id`` extra,
so rotation and assumed roles work as for any Airflow AWS task. The behaviour (checksums,
multipart, versions) lives in :mod:`ponton.storage.backends.s3`.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseHook

from ponton.errors import ConfigError
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.storage.backends.s3 import S3Options, S3Storage


def _flag(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "yes")


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

    def __init__(self, *, storage_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.storage_conn_id = storage_conn_id

    def options(self) -> tuple[S3Options, str]:
        extra = self.get_connection(self.storage_conn_id).extra_dejson
        if not extra.get("bucket"):
            raise ConfigError(
                f"connection {self.storage_conn_id!r} has no 'bucket' extra; add the bucket name"
            )
        options = S3Options(
            bucket=extra["bucket"],
            prefix=extra.get("prefix") or "",
            kms_key_id=extra.get("kms_key_id") or None,
            part_size=int(extra.get("part_size") or 8 * 1024 * 1024),
            allow_unversioned=_flag(extra.get("allow_unversioned")),
            conn_id=self.storage_conn_id,
        )
        return options, extra.get("aws_conn_id") or "aws_default"

    def get_conn(self) -> S3Storage:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        options, aws_conn_id = self.options()
        return S3Storage.open(client=S3Hook(aws_conn_id=aws_conn_id).get_conn(), options=options)

    def test_connection(self) -> tuple[bool, str]:
        from ponton.storage.port import Versions

        try:
            storage = self.get_conn()
        except Exception as exc:  # noqa: BLE001 - reported to the user, not raised
            return False, f"S3 storage {self.storage_conn_id!r}: {exc}"
        versioning = "versioned" if isinstance(storage, Versions) else "NOT versioned (allowed)"
        return True, f"bucket {storage.options.bucket!r} reachable and {versioning}"
