"""Hook for the embedded local-folder document store (``ponton_local_storage`` connection)."""

from __future__ import annotations

import os
import tempfile
from functools import cached_property
from pathlib import Path

from airflow.sdk import BaseHook

from ponton import settings
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions


class LocalStorageHook(MaskedConnectionMixin, BaseHook):
    """The folder named by the connection's ``path`` extra, else ``$PONTON_HOME/storage``.

    Without the connection at all the embedded default is used, so ``make demo`` and a fresh
    Airflow need no set-up.
    """

    conn_name_attr = "storage_conn_id"
    default_conn_name = "ponton_storage_local"
    conn_type = "ponton_local_storage"
    hook_name = "ponton local folder storage"

    def __init__(self, *, storage_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.storage_conn_id = storage_conn_id

    @cached_property
    def root(self) -> Path:
        try:
            extra = self.get_connection(self.storage_conn_id).extra_dejson
        except Exception:  # noqa: BLE001 - a missing connection means the embedded default
            extra = {}
        return Path(extra.get("path") or settings.ponton_home() / "storage").expanduser()

    def get_conn(self) -> LocalFolderStorage:
        return LocalFolderStorage(options=LocalOptions(root=self.root))

    def test_connection(self) -> tuple[bool, str]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".tmp-probe-"):
                pass
        except OSError as exc:
            return False, f"cannot write to {self.root} ({exc.strerror}); fix its permissions"
        free = os.statvfs(self.root).f_bavail * os.statvfs(self.root).f_frsize
        return True, f"{self.root} is writable ({free // 2**20} MiB free)"
