"""The embedded default backend: a folder, with every version kept in a store beside the files.

Layout under the root, for key ``missions/M-1/roadmap.pdf``::

    missions/M-1/roadmap.pdf                                   the current version
    .ponton/versions/missions/M-1/roadmap.pdf/000002-ab12cd34ef56  every version, immutable
    .ponton/versions/missions/M-1/roadmap.pdf/manifest.json    the versions and their SHA-256

``.ponton`` is a name no key may use, so no key reaches the store. A put writes the bytes to a
temporary file and fsyncs them, renames it into the store, links it over the current file (an
atomic rename), and writes the manifest last (another atomic rename). A crash at any step leaves
the old bytes or the new ones, never a torn file, and the manifest never names bytes that are not
there. ``head`` hashes the current file (the read back of a put, and what a drift check sees) and
names the manifest's newest version only when the bytes are that version's; otherwise it reports
an unrecorded version, which the next put records. Reads check the bytes against the recorded
SHA-256.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ponton.errors import ConfigError, InvalidInputError
from ponton.storage.backends.base import VerifiedStorage
from ponton.storage.hashing import CHUNK, Digests, chunks, digest_stream
from ponton.storage.keys import LOCAL_RULES, validate_key
from ponton.storage.port import ObjectInfo, ObjectNotFound, StoredBytesChanged, VersionInfo

STORE = ".ponton"
VERSION_ID = re.compile(r"\d{6}-[0-9a-f]{12}")


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


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalOptions:
    root: Path


class LocalFolderStorage(VerifiedStorage):
    """Versions as immutable files in the store; the current file is a link to the newest."""

    name = "local"
    algorithm = "sha256"
    rules = LOCAL_RULES
    capabilities = frozenset({"sha256"})

    def __init__(self, *, options: LocalOptions) -> None:
        super().__init__()
        self.root = Path(options.root).expanduser().resolve()
        self.location = f"file://{self.root}"

    # -- paths and manifest ------------------------------------------------------------------
    def _paths(self, key: str) -> tuple[Path, Path]:
        key = validate_key(key, LOCAL_RULES)
        current, store = self.root / key, self.root / STORE / "versions" / key
        for path in (current, store):
            if not path.resolve().is_relative_to(self.root):
                raise ConfigError(
                    f"local storage: key {key!r} resolves outside {self.root} (symlink); "
                    "remove the link or choose another root"
                )
        return current, store

    @staticmethod
    def _manifest(store: Path) -> list[dict]:
        try:
            return json.loads((store / "manifest.json").read_text())["versions"]
        except FileNotFoundError:
            return []

    @staticmethod
    def _write_manifest(store: Path, versions: list[dict]) -> None:
        fd, tmp = tempfile.mkstemp(dir=store, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump({"versions": versions}, out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, store / "manifest.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(store)

    # -- the verified put's vendor steps --------------------------------------------------------
    def head(self, key: str) -> ObjectInfo | None:
        """The current file as it is: its bytes hashed, named by the manifest's newest version
        only when they are that version's bytes (else an unrecorded version, ``None``)."""
        current, store = self._paths(key)
        if not current.is_file():
            return None
        with current.open("rb") as source:
            digests = digest_stream(source)
        versions = self._manifest(store)
        newest = versions[-1] if versions else {}
        recorded = newest.get("sha256") == digests.sha256 and (store / newest["id"]).is_file()
        return ObjectInfo(
            key=validate_key(key),
            remote_id=str(current.relative_to(self.root)),
            remote_version_id=newest["id"] if recorded else None,
            size=digests.size,
            content_type=newest.get("content_type") if recorded else None,
            checksums={"sha256": digests.sha256},
            metadata=newest.get("metadata", {}) if recorded else {},
        )

    def _holds(self, current: ObjectInfo, ours: Digests) -> bool:
        """Bytes no manifest entry records are stored again, so that they get a version."""
        return current.remote_version_id is not None and super()._holds(current, ours)

    def _upload(self, key, stream: BinaryIO, ours: Digests, *, content_type, metadata, current):
        current_path, store = self._paths(key)
        store.mkdir(parents=True, exist_ok=True)
        current_path.parent.mkdir(parents=True, exist_ok=True)
        versions = [v for v in self._manifest(store) if (store / v["id"]).is_file()]
        number = int(versions[-1]["id"][:6]) + 1 if versions else 1
        version_id = f"{number:06d}-{ours.sha256[:12]}"
        written = Digests("sha256")
        fd, tmp = tempfile.mkstemp(dir=store, prefix=".tmp-")
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb") as out:
                for block in chunks(stream, CHUNK):
                    written.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if written.sha256 != ours.sha256:
                raise InvalidInputError(f"local storage: {key!r} changed while it was stored")
            os.replace(tmp, store / version_id)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(store)
        link = current_path.parent / f".tmp-link-{version_id}"
        link.unlink(missing_ok=True)
        os.link(store / version_id, link)
        os.replace(link, current_path)
        _fsync_dir(current_path.parent)
        entry = {
            "id": version_id,
            "sha256": ours.sha256,
            "size": ours.size,
            "content_type": content_type,
            "metadata": metadata,
            "modified_at": datetime.now(UTC).isoformat(),
        }
        self._write_manifest(store, [v for v in versions if v["id"] != version_id] + [entry])
        return None

    # -- reads -----------------------------------------------------------------------------------
    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        current, store = self._paths(key)
        if version_id is not None and not VERSION_ID.fullmatch(version_id):
            raise ObjectNotFound(f"local storage: version {version_id!r} of {key!r} is not valid")
        if version_id is None:
            info = self.head(key)
            path, expected = current, info.checksums["sha256"] if info else None
        else:
            entry = next((v for v in self._manifest(store) if v["id"] == version_id), None)
            path, expected = store / version_id, entry["sha256"] if entry else None
        if expected is None or not path.is_file():
            raise ObjectNotFound(
                f"local storage: {key!r} (version {version_id or 'current'}) does not exist "
                f"under {self.root}; list its versions with list_versions"
            )
        digests = Digests("sha256")
        with path.open("rb") as source:
            for block in chunks(source, CHUNK):
                digests.update(block)
                yield block
        if digests.sha256 != expected:
            raise StoredBytesChanged(
                f"local storage: {path} no longer holds the bytes recorded for {key!r} "
                f"(sha256 {expected[:12]}…, found {digests.sha256[:12]}…); it was edited in "
                "place or the disk is failing: run `ponton documents verify --repair`"
            )

    def list_keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if d != STORE or Path(folder) != self.root)
            for name in sorted(files):
                if not name.startswith(".tmp-"):
                    yield (Path(folder) / name).relative_to(self.root).as_posix()

    # -- versions --------------------------------------------------------------------------------
    def list_versions(self, key: str) -> list[VersionInfo]:
        _current, store = self._paths(key)
        return [
            VersionInfo(
                remote_version_id=v["id"],
                size=v["size"],
                modified_at=datetime.fromisoformat(v["modified_at"]),
                checksums={"sha256": v["sha256"]},
            )
            for v in self._manifest(store)
            if (store / v["id"]).is_file()
        ]

    def delete_version(self, key: str, version_id: str) -> None:
        current, store = self._paths(key)
        versions = self._manifest(store)
        if versions and versions[-1]["id"] == version_id and current.exists():
            raise InvalidInputError(
                f"local storage: version {version_id} is the current version of {key!r}; "
                "only older versions can be pruned"
            )
        self._write_manifest(store, [v for v in versions if v["id"] != version_id])
        (store / version_id).unlink(missing_ok=True)
