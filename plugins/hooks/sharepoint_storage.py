"""SharePoint / OneDrive for Business document storage over Microsoft Graph
(``ponton_sharepoint`` connection).

The connection has the fields of the microsoft-azure provider's ``msgraph`` connection (tenant
id, client id as login, client secret as password), so the same app registration serves both.
The provider's Graph hook is async (Kiota); uploads stream ranges synchronously, so the backend
(:mod:`ponton.storage.backends.sharepoint`) speaks Graph's REST API with ``requests`` and this hook
gets its tokens from ``azure-identity`` (OAuth client credentials).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from ponton.errors import ConfigError
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.storage.backends.sharepoint import GRAPH, SharePointOptions, SharePointStorage

DEFAULT_AUTHORITY = "login.microsoftonline.com"


class SharePointStorageHook(MaskedConnectionMixin, BaseHook):
    """A SharePoint document library (or OneDrive) folder as a :class:`ponton.storage.Storage`.

    Extras: ``tenant_id``; ``site`` (``contoso.sharepoint.com:/sites/missions``) with ``library``
    (default ``Documents``), or ``drive_id`` directly; ``folder`` (path prefix inside the drive);
    ``chunk_size`` (bytes, rounded to 320 KiB, default 10 x 320 KiB); ``simple_upload_limit``
    (bytes, default 4 MiB, at most Graph's 250 MB); ``authority_host``, ``graph_endpoint`` and
    ``ca_certs`` for national clouds and private gateways.
    """

    conn_name_attr = "storage_conn_id"
    default_conn_name = "ponton_storage_sharepoint"
    conn_type = "ponton_sharepoint"
    hook_name = "ponton SharePoint / OneDrive storage"

    def __init__(self, *, storage_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.storage_conn_id = storage_conn_id

    @cached_property
    def connection(self):
        return self.get_connection(self.storage_conn_id)

    def _extra(self, name: str, default: Any = None) -> Any:
        value = self.connection.extra_dejson.get(name)
        return default if value in (None, "") else value

    @cached_property
    def credential(self):
        from azure.identity import ClientSecretCredential

        tenant = self._extra("tenant_id")
        if not (tenant and self.connection.login and self.connection.password):
            raise ConfigError(
                f"connection {self.storage_conn_id!r} needs tenant_id, client id (login) and "
                "client secret (password) of an app with Sites.Selected or Files.ReadWrite.All"
            )
        authority = self._extra("authority_host")
        return ClientSecretCredential(
            tenant,
            self.connection.login,
            self.connection.password,
            authority=authority or DEFAULT_AUTHORITY,
            disable_instance_discovery=authority is not None,
            connection_verify=self._extra("ca_certs", True),
        )

    def _token(self) -> str:
        scope = self._extra("graph_endpoint", GRAPH).split("/v1.0")[0] + "/.default"
        return self.credential.get_token(scope).token

    def get_conn(self) -> SharePointStorage:
        import requests

        self.credential  # noqa: B018 - missing credentials fail here, before any Graph call
        session = requests.Session()
        session.headers["User-Agent"] = "ponton-storage"
        options = SharePointOptions(
            drive_id=self._extra("drive_id"),
            site=self._extra("site"),
            library=self._extra("library", "Documents"),
            folder=self._extra("folder", ""),
            chunk_size=int(self._extra("chunk_size", 10 * 320 * 1024)),
            simple_upload_limit=int(self._extra("simple_upload_limit", 4 * 1024 * 1024)),
            graph_endpoint=self._extra("graph_endpoint", GRAPH),
            ca_certs=self._extra("ca_certs"),
            conn_id=self.storage_conn_id,
        )
        return SharePointStorage(session=session, token=self._token, options=options)

    def test_connection(self) -> tuple[bool, str]:
        try:
            drive = self.get_conn().drive_status()
        except Exception as exc:  # noqa: BLE001 - reported to the user, not raised
            return False, f"SharePoint storage {self.storage_conn_id!r}: {exc}"
        remaining = drive.get("quota", {}).get("remaining")
        room = f", {remaining // 2**20} MiB free" if remaining is not None else ""
        return True, f"drive {drive.get('name')!r} reachable{room}"
