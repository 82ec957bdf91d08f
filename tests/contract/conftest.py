"""One storage per backend for the shared contract suite; cloud backends against loopback peers:
S3 through moto's server, Drive and SharePoint through the fakes in ``tests/fakes``."""

from __future__ import annotations

import pytest

from tests.fakes.gdrive_peer import *  # noqa: F403 - the Drive fake fixtures
from tests.fakes.graph_peer import *  # noqa: F403 - the Graph fake fixtures
from tests.fakes.s3_peer import *  # noqa: F403 - the moto fixtures

BACKENDS = ["local", "s3", "gdrive", "sharepoint"]


@pytest.fixture
def local_storage(tmp_path):
    from ponton.storage.local import LocalFolderStorage

    return LocalFolderStorage(tmp_path / "storage")


@pytest.fixture(params=BACKENDS)
def storage(request):
    return request.getfixturevalue(f"{request.param}_storage")
