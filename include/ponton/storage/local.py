"""The embedded default backend: a folder, with every version kept beside the current file.

Layout for key ``mission/M-1/roadmap.pdf`` under the root::

    mission/M-1/roadmap.pdf                         the current version (hard link)
    mission/M-1/.roadmap.pdf.versions/000002-ab12cd34ef56       every version, numbered
    mission/M-1/.roadmap.pdf.versions/000002-ab12cd34ef56.json  its checksum and metadata

A put streams into a temporary file in the versions folder, fsyncs it, then renames: a crash leaves
either the old state or the new one, never a torn file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ponton.errors import ConfigError
from ponton.storage.hashing import CHUNK, Digests, chunks, digest_stream
from ponton.storage.keys import LOCAL_RULES, validate_key
from ponton.storage.port import (
    ObjectInfo,
    ObjectNotFound,
    Receipt,
    VersionInfo,
    verify_checksum,
)


def _process_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp creates 0600 files; stored documents get the mode a plain open() would give them.
FILE_MODE = 0o666 & ~_process_umask()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_atomically(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LocalFolderStorage:
    """Versions as numbered files; the SHA-256 recorded at write time is re-read to verify."""

    name = "local"
    capabilities = frozenset({"versions", "sha256"})
    algorithm = "sha256"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _paths(self, key: str) -> tuple[Path, Path]:
        current = self.root / validate_key(key, LOCAL_RULES)
        if not current.resolve().is_relative_to(self.root):
            raise ConfigError(f"local storage: key {key!r} resolves outside {self.root} (symlink)")
        return current, current.parent / f".{current.name}.versions"

    def _versions(self, folder: Path) -> list[tuple[str, dict]]:
        if not folder.is_dir():
            return []
        found = []
        for meta in sorted(folder.glob("*.json")):
            found.append((meta.name[: -len(".json")], json.loads(meta.read_text())))
        return found

    def put(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Receipt:
        current, folder = self._paths(key)
        folder.mkdir(parents=True, exist_ok=True)
        digests = Digests("sha256")
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as out:
                for block in chunks(stream, CHUNK):
                    digests.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            versions = self._versions(folder)
            if versions and versions[-1][1]["sha256"] == digests.sha256 and current.exists():
                Path(tmp).unlink()
                return self._receipt(key, current, versions[-1], created=False)
            number = int(versions[-1][0].split("-")[0]) + 1 if versions else 1
            version_id = f"{number:06d}-{digests.sha256[:12]}"
            info = {
                "sha256": digests.sha256,
                "size": digests.size,
                "content_type": content_type,
                "metadata": dict(metadata or {}),
                "modified_at": datetime.now(UTC).isoformat(),
            }
            os.replace(tmp, folder / version_id)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _replace_atomically(
            folder / f"{version_id}.json", lambda out: out.write(json.dumps(info).encode())
        )
        link = folder / f".link-{version_id}"
        link.unlink(missing_ok=True)
        os.link(folder / version_id, link)
        os.replace(link, current)
        _fsync_dir(folder)
        _fsync_dir(current.parent)
        return self._receipt(key, current, (version_id, info), created=True)

    def _receipt(self, key: str, current: Path, version: tuple[str, dict], created: bool):
        version_id, info = version
        with current.open("rb") as stored:
            reread = digest_stream(stored).sha256
        verify_checksum(self.name, key, "sha256", info["sha256"], reread)
        return Receipt(
            key=validate_key(key),
            remote_id=str(current.relative_to(self.root)),
            remote_version_id=version_id,
            sha256=info["sha256"],
            size=info["size"],
            algorithm="sha256",
            checksum=reread,
            created=created,
        )

    def head(self, key: str) -> ObjectInfo | None:
        current, folder = self._paths(key)
        versions = self._versions(folder)
        if not current.exists() or not versions:
            return None
        version_id, info = versions[-1]
        return ObjectInfo(
            key=validate_key(key),
            remote_id=str(current.relative_to(self.root)),
            remote_version_id=version_id,
            size=info["size"],
            content_type=info["content_type"],
            checksums={"sha256": info["sha256"]},
            metadata=info["metadata"],
        )

    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        current, folder = self._paths(key)
        path = current if version_id is None else folder / version_id
        if version_id is not None and (version_id.startswith(".") or "/" in version_id):
            raise ObjectNotFound(f"local storage: version {version_id!r} of {key!r} is not valid")
        if not path.is_file():
            raise ObjectNotFound(
                f"local storage: {key!r} (version {version_id or 'current'}) does not exist "
                f"under {self.root}; list its versions with list_versions"
            )
        with path.open("rb") as source:
            yield from chunks(source, CHUNK)

    def list_versions(self, key: str) -> list[VersionInfo]:
        _current, folder = self._paths(key)
        return [
            VersionInfo(
                remote_version_id=version_id,
                size=info["size"],
                modified_at=datetime.fromisoformat(info["modified_at"]),
                checksums={"sha256": info["sha256"]},
            )
            for version_id, info in self._versions(folder)
        ]
