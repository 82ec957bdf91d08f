"""The storage contract: every backend stores, verifies, versions and refuses bad keys alike."""

from __future__ import annotations

import io
import unicodedata

import pytest

from ponton.errors import InvalidInputError
from ponton.storage import ObjectNotFound, Storage
from ponton.storage.hashing import digest_bytes
from ponton.storage.port import Versions

pytestmark = pytest.mark.contract
BACKENDS = ["local", "s3", "gdrive", "sharepoint"]

# Above every backend's chunk size as configured by the fixtures: exercises multipart, resumable
# and upload-session paths without making the suite slow (200 MB belongs in the benchmark).
LARGE = 3 * 256 * 1024 + 123  # PART in conftest.py


def put(storage, key: str, data: bytes, **kw):
    return storage.put(key, io.BytesIO(data), content_type="application/pdf", **kw)


def read(storage, key: str, version_id: str | None = None) -> bytes:
    return b"".join(storage.get(key, version_id=version_id))


def test_backend_implements_the_port(storage):
    assert isinstance(storage, Storage)
    assert storage.algorithm in ("sha256", "md5", "quickxor")
    assert storage.algorithm in storage.capabilities
    assert storage.location


def test_put_returns_a_verified_receipt_and_head_describes_it(storage):
    data = b"%PDF-1.7 roadmap v1"
    receipt = put(storage, "missions/M-1/roadmap.pdf", data, metadata={"mission": "M-1"})
    digests = digest_bytes(data, storage.algorithm)
    assert (receipt.sha256, receipt.size, receipt.created) == (digests.sha256, len(data), True)
    assert receipt.checksum == digests.checksum and receipt.remote_id
    info = storage.head("missions/M-1/roadmap.pdf")
    assert info.size == len(data) and info.content_type == "application/pdf"
    assert info.remote_version_id == receipt.remote_version_id
    assert info.checksums[storage.algorithm] == digests.checksum
    assert read(storage, "missions/M-1/roadmap.pdf") == data


def test_new_bytes_make_a_new_version_and_old_ones_stay_readable(storage):
    first = put(storage, "m/r.pdf", b"one")
    second = put(storage, "m/r.pdf", b"two!")
    assert first.remote_version_id != second.remote_version_id
    assert read(storage, "m/r.pdf") == b"two!"
    if isinstance(storage, Versions):
        versions = storage.list_versions("m/r.pdf")
        assert [v.remote_version_id for v in versions][-2:] == [
            first.remote_version_id,
            second.remote_version_id,
        ]
        assert read(storage, "m/r.pdf", first.remote_version_id) == b"one"


def test_putting_the_current_bytes_again_creates_no_version(storage):
    first = put(storage, "m/same.pdf", b"identical")
    again = put(storage, "m/same.pdf", b"identical")
    assert again.created is False
    assert again.remote_version_id == first.remote_version_id
    if isinstance(storage, Versions):
        assert len(storage.list_versions("m/same.pdf")) == 1


def test_empty_file_is_stored_and_verified(storage):
    receipt = put(storage, "m/empty.txt", b"")
    assert receipt.size == 0
    assert read(storage, "m/empty.txt") == b""


def test_large_file_is_streamed_in_chunks_and_verified(storage):
    data = bytes(range(256)) * (LARGE // 256) + b"tail"
    receipt = put(storage, "m/large.bin", data)
    assert receipt.size == len(data) and receipt.sha256 == digest_bytes(data).sha256
    assert read(storage, "m/large.bin") == data


@pytest.mark.parametrize(
    "key", ["../escape.pdf", "m/../../etc/passwd", "/abs/path.pdf", "m//x.pdf", "", "m/a\x00b"]
)
def test_unsafe_keys_are_refused_before_any_upload(storage, key):
    with pytest.raises(InvalidInputError, match="storage key"):
        put(storage, key, b"x")
    assert storage.head("m/probe.pdf") is None


def test_keys_are_nfc_normalised(storage):
    decomposed = unicodedata.normalize("NFD", "m/Chloé.pdf")
    put(storage, decomposed, b"accent")
    assert storage.head(unicodedata.normalize("NFC", "m/Chloé.pdf")).size == 6


def test_missing_keys_have_no_head_and_get_fails_clearly(storage):
    assert storage.head("m/never.pdf") is None
    with pytest.raises(ObjectNotFound, match=r"never\.pdf"):
        read(storage, "m/never.pdf")


def test_list_keys_names_every_stored_object_and_nothing_else(storage):
    put(storage, "m/a.pdf", b"a")
    put(storage, "m/deep/b.pdf", b"b")
    put(storage, "m/a.pdf", b"a, second version")
    assert sorted(storage.list_keys()) == ["m/a.pdf", "m/deep/b.pdf"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_hook_builds_the_same_backend_from_an_airflow_connection(backend, request):
    """Once per backend: connection -> credential/client -> backend, then a verified put."""
    from ponton.hooks.storage import storage_for

    conn_id = request.getfixturevalue(f"{backend}_conn_id")
    storage = storage_for(conn_id)
    assert storage.name == backend and isinstance(storage, Storage)
    receipt = put(storage, "m/hook.pdf", b"through the hook")
    assert receipt.created and read(storage, "m/hook.pdf") == b"through the hook"
