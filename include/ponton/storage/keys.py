"""Storage keys: one validation for every backend, so a bad name fails before any upload.

A key is a relative, ``/``-separated path in NFC Unicode (macOS and SharePoint would otherwise
store ``é`` decomposed and a second upload of the "same" name would land beside the first).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ponton.errors import InvalidInputError

_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


@dataclass(frozen=True, slots=True)
class KeyRules:
    """A backend's limits on keys; ``max_bytes`` counts the UTF-8 encoding of the whole key."""

    backend: str
    max_bytes: int = 1024
    max_segment_bytes: int = 255
    forbidden_chars: str = ""
    forbidden_names: frozenset[str] = frozenset()
    forbidden_prefixes: tuple[str, ...] = ()
    no_trailing_dot_or_space: bool = False


# ``.ponton`` holds the local backend's version store: no key may name it.
LOCAL_RULES = KeyRules(
    "local", max_bytes=1024, forbidden_chars='\\:*?"<>|', forbidden_names=frozenset({".ponton"})
)
S3_RULES = KeyRules("s3", max_bytes=1024, forbidden_chars="\\{}^%`[]<>~#|")
GDRIVE_RULES = KeyRules("gdrive", max_bytes=1024, forbidden_chars="\\")
# https://support.microsoft.com/office/restrictions-and-limitations-in-onedrive-and-sharepoint
SHAREPOINT_RULES = KeyRules(
    "sharepoint",
    max_bytes=400,
    forbidden_chars='\\"*:<>?|#%',
    forbidden_names=frozenset({".lock", "con", "prn", "aux", "nul", "desktop.ini", "_vti_"})
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)},
    forbidden_prefixes=("~$",),
    no_trailing_dot_or_space=True,
)


def validate_key(key: object, rules: KeyRules = LOCAL_RULES) -> str:
    """The NFC-normalised key, or :class:`InvalidInputError` naming what is wrong and the fix."""
    if not isinstance(key, str) or not key.strip():
        raise InvalidInputError(f"{rules.backend}: storage key {key!r} is empty; name the file")
    normal = unicodedata.normalize("NFC", key)

    def refuse(cause: str, fix: str) -> InvalidInputError:
        return InvalidInputError(f"{rules.backend}: storage key {key!r} {cause}; {fix}")

    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        raise refuse("is absolute", "use a path relative to the storage root (mission/M-1/x.pdf)")
    if bad := sorted({c for c in normal if c in _CONTROL}):
        raise refuse(f"contains control characters {bad!r}", "remove them")
    if bad := sorted({c for c in normal if c in rules.forbidden_chars}):
        raise refuse(f"contains {''.join(bad)!r}, not allowed by {rules.backend}", "rename it")
    if len(normal.encode()) > rules.max_bytes:
        raise refuse(
            f"is {len(normal.encode())} bytes long (limit {rules.max_bytes})", "shorten it"
        )
    for segment in normal.split("/"):
        if segment in ("", ".", ".."):
            raise refuse(
                f"has an empty, '.' or '..' segment ({segment!r})",
                "path traversal and empty folders are refused: use plain folder names",
            )
        if len(segment.encode()) > rules.max_segment_bytes:
            raise refuse(f"has a segment over {rules.max_segment_bytes} bytes", "shorten it")
        if segment.lower() in rules.forbidden_names or segment.startswith(rules.forbidden_prefixes):
            raise refuse(f"uses the reserved name {segment!r} on {rules.backend}", "rename it")
        if rules.no_trailing_dot_or_space and (segment != segment.strip() or segment[-1] == "."):
            raise refuse(
                f"segment {segment!r} starts/ends with a space or ends with '.'", "trim it"
            )
    return normal
