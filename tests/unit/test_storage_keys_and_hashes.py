"""Key validation and the streaming hashes backends are verified with."""

from __future__ import annotations

import base64
import hashlib
import random
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ponton.errors import InvalidInputError
from ponton.storage.hashing import Digests, QuickXorHash, digest_bytes
from ponton.storage.keys import S3_RULES, SHAREPOINT_RULES, validate_key
from ponton.storage.port import ChecksumMismatch, verify_checksum

pytestmark = pytest.mark.unit

M64 = (1 << 64) - 1


def reference_quickxor(data: bytes) -> str:
    """A line-by-line port of Microsoft's published C# QuickXorHash (one TransformCore call)."""
    width, shift = 160, 11
    cells = [0, 0, 0]
    index, offset = 0, 0
    for i in range(min(len(data), width)):
        is_last = index == 2
        bits = 32 if is_last else 64
        if offset <= bits - 8:
            for j in range(i, len(data), width):
                cells[index] ^= data[j] << offset
        else:
            index2 = 0 if is_last else index + 1
            xored = 0
            for j in range(i, len(data), width):
                xored ^= data[j]
            cells[index] ^= xored << offset
            cells[index2] ^= xored >> (bits - offset)
        offset += shift
        while offset >= bits:
            index = 0 if is_last else index + 1
            offset -= bits
    out = bytearray(
        (cells[0] & M64).to_bytes(8, "little")
        + (cells[1] & M64).to_bytes(8, "little")
        + (cells[2] & 0xFFFFFFFF).to_bytes(4, "little")
    )
    for i, byte in enumerate(len(data).to_bytes(8, "little")):
        out[12 + i] ^= byte
    return base64.b64encode(bytes(out)).decode()


@pytest.mark.parametrize("size", [0, 1, 7, 159, 160, 161, 1000, 4099])
def test_quickxor_matches_the_reference_for_any_chunking(size):
    data = random.Random(size).randbytes(size)
    expected = reference_quickxor(data)
    whole = QuickXorHash()
    whole.update(data)
    assert whole.b64digest() == expected
    pieces = QuickXorHash()
    for start in range(0, size, 37):
        pieces.update(data[start : start + 37])
    assert pieces.b64digest() == expected


def test_digests_compute_sha256_and_the_backend_hash_in_one_pass():
    d = Digests("md5")
    d.update(b"ab")
    d.update(b"c")
    assert d.sha256 == hashlib.sha256(b"abc").hexdigest()
    assert d.checksum == hashlib.md5(b"abc").hexdigest() and d.size == 3
    assert digest_bytes(b"abc").checksum == d.sha256


def test_checksum_mismatch_or_missing_checksum_is_an_error_never_silent():
    assert verify_checksum("s3", "k", "sha256", "AB", "ab") == "ab"
    with pytest.raises(ChecksumMismatch, match="verification"):
        verify_checksum("s3", "k", "sha256", "aa", "bb")
    with pytest.raises(ChecksumMismatch, match="nothing"):
        verify_checksum("s3", "k", "sha256", "aa", None)


@pytest.mark.parametrize(
    ("key", "rules", "cause"),
    [
        ("a/../b", S3_RULES, "'..'"),
        ("C:/x", S3_RULES, "absolute"),
        ("x" * 1025, S3_RULES, "1025 bytes"),
        ("a/" + "é" * 200, S3_RULES, "segment over 255"),
        ("m/what?.pdf", SHAREPOINT_RULES, "not allowed by sharepoint"),
        ("m/CON", SHAREPOINT_RULES, "reserved name"),
        ("m/~$lock.docx", SHAREPOINT_RULES, "reserved name"),
        ("m/trailing. ", SHAREPOINT_RULES, "ends with"),
        (None, S3_RULES, "empty"),
    ],
)
def test_bad_keys_name_the_backend_the_cause_and_the_fix(key, rules, cause):
    with pytest.raises(InvalidInputError, match=rules.backend) as error:
        validate_key(key, rules)
    assert cause in str(error.value)


def test_valid_key_comes_back_nfc_normalised():
    assert validate_key("m/Che\u0301rie.pdf", SHAREPOINT_RULES) == "m/Ch\u00e9rie.pdf"


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=5))
def test_any_accepted_key_is_relative_nfc_and_stable(segments):
    key = "/".join(segments)
    try:
        valid = validate_key(key, SHAREPOINT_RULES)
    except InvalidInputError:
        return
    assert valid == unicodedata.normalize("NFC", valid) == validate_key(valid, SHAREPOINT_RULES)
    assert not valid.startswith("/") and ".." not in valid.split("/")
    assert len(valid.encode()) <= SHAREPOINT_RULES.max_bytes
