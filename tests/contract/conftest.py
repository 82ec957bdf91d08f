"""One storage per backend for the shared contract suite; cloud backends against loopback peers."""

from __future__ import annotations

import pytest

BACKENDS = ["local"]


@pytest.fixture
def local_storage(tmp_path):
    from ponton.storage.local import LocalFolderStorage

    return LocalFolderStorage(tmp_path / "storage")


@pytest.fixture(params=BACKENDS)
def storage(request):
    return request.getfixturevalue(f"{request.param}_storage")
