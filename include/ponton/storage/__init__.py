"""Document storage: the port, key rules, hashing and the embedded local-folder backend.

Cloud backends (S3, Google Drive, SharePoint) live in ``ponton.hooks``: they need Airflow
connections. Import the names below from here.
"""

from ponton.storage.keys import KeyRules, validate_key
from ponton.storage.port import (
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    QuotaExceeded,
    Receipt,
    Storage,
    VersionInfo,
    verify_checksum,
)

__all__ = [
    "ChecksumMismatch",
    "KeyRules",
    "ObjectInfo",
    "ObjectNotFound",
    "QuotaExceeded",
    "Receipt",
    "Storage",
    "VersionInfo",
    "validate_key",
    "verify_checksum",
]
