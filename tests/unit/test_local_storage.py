"""Local folder specifics: atomic writes and the layout users see on disk."""

from __future__ import annotations

import io
import os
import stat

import pytest

from ponton.errors import ConfigError
from ponton.storage.local import LocalFolderStorage

pytestmark = pytest.mark.unit


class BrokenStream(io.BytesIO):
    """Fails after the first block, as a dropped source or a full disk would."""

    def read(self, size=-1):
        if self.tell():
            raise OSError("source vanished")
        return super().read(4)


def test_a_failed_write_leaves_the_previous_version_and_no_temporary_file(tmp_path):
    storage = LocalFolderStorage(tmp_path)
    storage.put("m/r.pdf", io.BytesIO(b"version one"), content_type="application/pdf")
    with pytest.raises(OSError, match="vanished"):
        storage.put("m/r.pdf", BrokenStream(b"version two, never complete"), content_type="x")
    assert b"".join(storage.get("m/r.pdf")) == b"version one"
    assert len(storage.list_versions("m/r.pdf")) == 1
    leftovers = [p.name for p in tmp_path.rglob(".*") if p.name.startswith((".tmp-", ".upload-"))]
    assert leftovers == []


def test_files_get_the_usual_permissions_not_private_temporary_ones(tmp_path):
    LocalFolderStorage(tmp_path).put("m/shared.pdf", io.BytesIO(b"team"), content_type="x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "m/shared.pdf").stat().st_mode) == 0o666 & ~umask


def test_a_symlinked_folder_cannot_lead_outside_the_root(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "m").symlink_to(outside)
    with pytest.raises(ConfigError, match="outside"):
        LocalFolderStorage(tmp_path / "root").put("m/x.pdf", io.BytesIO(b"x"), content_type="x")
