"""Document storage: the port, key rules and hashing; one backend per vendor in
:mod:`ponton.storage.backends` (local folder, S3, Google Drive, SharePoint), each built from a
ready client and typed options. Import the names below from here.
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
