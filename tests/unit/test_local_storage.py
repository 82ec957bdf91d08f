"""Local folder specifics: crash safety at every step, reads that check bytes, the version store
out of the key namespace, the layout users see on disk."""

from __future__ import annotations

import hashlib
import io
import os
import stat

import pytest

from ponton.errors import ConfigError, InvalidInputError
from ponton.storage.backends import local as local_module
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions
from ponton.storage.port import StoredBytesChanged

pytestmark = pytest.mark.unit
OLD, NEW = b"version one", b"version two, longer"


def folder(root) -> LocalFolderStorage:
    return LocalFolderStorage(options=LocalOptions(root=root))


def put(storage, key: str, data: bytes):
    return storage.put(key, io.BytesIO(data), content_type="application/pdf")


class BrokenStream(io.BytesIO):
    """Fails after the first block, as a dropped source or a full disk would."""

    def read(self, size=-1):
        if self.tell():
            raise OSError("source vanished")
        return super().read(4)


class Crash(BaseException):
    """The process dies here (a BaseException: nothing may catch it and carry on)."""


def count_steps(monkeypatch, crash_at: int | None) -> list[str]:
    """Wrap the durable steps of a put (fsync, rename, link); raise Crash at step ``crash_at``."""
    steps: list[str] = []
    for name in ("fsync", "replace", "link"):
        real = getattr(os, name)

        def step(*args, _real=real, _name=name):
            steps.append(_name)
            if crash_at is not None and len(steps) == crash_at:
                raise Crash(_name)
            return _real(*args)

        monkeypatch.setattr(local_module.os, name, step)
    return steps


def test_a_crash_at_each_step_of_a_put_leaves_old_or_new_bytes_and_a_truthful_head(
    tmp_path, monkeypatch
):
    with monkeypatch.context() as probe:
        put(folder(tmp_path / "probe"), "m/r.pdf", OLD)
        steps = count_steps(probe, None)
        put(folder(tmp_path / "probe"), "m/r.pdf", NEW)
    assert len(steps) >= 6  # bytes, store rename, link, current rename, manifest...
    for crash_at in range(1, len(steps) + 1):
        storage = folder(tmp_path / f"crash-{crash_at}")
        put(storage, "m/r.pdf", OLD)
        with monkeypatch.context() as crashing:
            count_steps(crashing, crash_at)
            with pytest.raises(Crash):
                put(storage, "m/r.pdf", NEW)
        on_disk = (storage.root / "m/r.pdf").read_bytes()
        assert on_disk in (OLD, NEW), f"torn file after a crash at step {crash_at}"
        head = storage.head("m/r.pdf")
        assert head.checksums["sha256"] == hashlib.sha256(on_disk).hexdigest()
        retried = put(storage, "m/r.pdf", NEW)  # what the task's retry does
        assert retried.remote_version_id is not None
        assert storage.head("m/r.pdf").remote_version_id == retried.remote_version_id
        assert b"".join(storage.get("m/r.pdf")) == NEW
        versions = storage.list_versions("m/r.pdf")
        assert versions[-1].checksums["sha256"] == hashlib.sha256(NEW).hexdigest()
        first = versions[0].remote_version_id
        assert b"".join(storage.get("m/r.pdf", version_id=first)) == OLD


def test_a_failed_write_leaves_the_previous_version_and_no_temporary_file(tmp_path):
    storage = folder(tmp_path)
    put(storage, "m/r.pdf", OLD)
    with pytest.raises(OSError, match="vanished"):
        storage.put("m/r.pdf", BrokenStream(b"version two, never complete"), content_type="x")
    assert b"".join(storage.get("m/r.pdf")) == OLD
    assert len(storage.list_versions("m/r.pdf")) == 1
    assert [p.name for p in tmp_path.rglob(".tmp-*")] == []


def test_bytes_edited_in_place_are_refused_on_read(tmp_path):
    storage = folder(tmp_path)
    receipt = put(storage, "m/r.pdf", OLD)
    with open(tmp_path / "m/r.pdf", "r+b") as edited:  # same inode, same size
        edited.write(b"V")
    with pytest.raises(StoredBytesChanged, match="verify --repair"):
        b"".join(storage.get("m/r.pdf", version_id=receipt.remote_version_id))


def test_a_file_replaced_by_hand_is_reported_as_an_unrecorded_version(tmp_path):
    storage = folder(tmp_path)
    put(storage, "m/r.pdf", OLD)
    (tmp_path / "m/r.pdf").unlink()
    (tmp_path / "m/r.pdf").write_bytes(b"hand made")
    head = storage.head("m/r.pdf")
    assert head.remote_version_id is None
    assert head.checksums["sha256"] == hashlib.sha256(b"hand made").hexdigest()
    assert put(storage, "m/r.pdf", b"hand made").created  # recorded as a version now


def test_no_key_reaches_the_version_store(tmp_path):
    storage = folder(tmp_path)
    put(storage, "m/r.pdf", OLD)
    [version] = storage.list_versions("m/r.pdf")
    for key in (f".ponton/versions/m/r.pdf/{version.remote_version_id}", "m/.ponton/x.pdf"):
        with pytest.raises(InvalidInputError, match="reserved name"):
            put(storage, key, b"overwrite history")
    assert list(storage.list_keys()) == ["m/r.pdf"]


def test_old_versions_can_be_pruned_but_not_the_current_one(tmp_path):
    storage = folder(tmp_path)
    first, second = put(storage, "m/r.pdf", OLD), put(storage, "m/r.pdf", NEW)
    with pytest.raises(InvalidInputError, match="current version"):
        storage.delete_version("m/r.pdf", second.remote_version_id)
    storage.delete_version("m/r.pdf", first.remote_version_id)
    assert [v.remote_version_id for v in storage.list_versions("m/r.pdf")] == [
        second.remote_version_id
    ]
    assert put(storage, "m/r.pdf", OLD).remote_version_id.startswith("000003-")


def test_files_get_the_usual_permissions_not_private_temporary_ones(tmp_path):
    put(folder(tmp_path), "m/shared.pdf", b"team")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "m/shared.pdf").stat().st_mode) == 0o666 & ~umask


def test_a_symlinked_folder_cannot_lead_outside_the_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "m").symlink_to(outside)
    with pytest.raises(ConfigError, match="outside"):
        put(folder(tmp_path / "root"), "m/x.pdf", b"x")
