"""Google Drive document storage (``ponton_gdrive`` connection) on the google provider's
``GoogleBaseHook``: the connection gives the credential, google-api-python-client the client, and
:mod:`ponton.storage.backends.gdrive` the behaviour.

Credentials: an OAuth refresh token (``refresh_token`` extra, the OAuth client id and secret in
Login and Password), else whatever GoogleBaseHook resolves (``key_path``, ``keyfile_dict``,
workload identity). Scope: ``scope`` if the connection names one, else full Drive access.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.google.common.hooks.base_google import GoogleBaseHook

from ponton.hooks.masking import MaskedConnectionMixin
from ponton.storage.backends.gdrive import DriveOptions, GoogleDriveStorage

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret


class GoogleDriveStorageHook(MaskedConnectionMixin, GoogleBaseHook):
    """Builds the Drive v3 client and hands out the Drive storage backend.

    Extras besides the google provider's credential fields: ``folder_id`` (root folder, default
    ``root``), ``drive_id`` (a shared drive), ``keep_forever`` (revisions kept forever per file,
    default 100, at most 200), ``chunk_size`` (bytes, a multiple of 256 KiB, default 8 MiB),
    ``refresh_token``/``token_uri`` (OAuth), ``api_endpoint`` and ``ca_certs`` (private gateways).
    """

    conn_name_attr = "storage_conn_id"
    default_conn_name = "ponton_storage_gdrive"
    conn_type = "ponton_gdrive"
    hook_name = "ponton Google Drive storage"

    def __init__(self, *, storage_conn_id: str = default_conn_name) -> None:
        super().__init__(gcp_conn_id=storage_conn_id)
        self.storage_conn_id = storage_conn_id

    def _extra(self, name: str, default: Any = None) -> Any:
        value = self._get_field(name, None)
        return default if value in (None, "") else value

    @property
    def scopes(self) -> list[str]:
        configured = self._extra("scope")
        return [s.strip() for s in configured.split(",")] if configured else [DRIVE_SCOPE]

    def get_credentials(self):
        if not self._extra("refresh_token"):
            return super().get_credentials()
        from google.oauth2.credentials import Credentials

        conn = self.get_connection(self.storage_conn_id)
        return Credentials(
            None,
            refresh_token=self._extra("refresh_token"),
            client_id=conn.login,
            client_secret=conn.password,
            token_uri=self._extra("token_uri", DEFAULT_TOKEN_URI),
            scopes=self.scopes,
        )

    def get_conn(self) -> GoogleDriveStorage:
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        http = httplib2.Http(ca_certs=self._extra("ca_certs"), timeout=120)
        # As googleapiclient.http.build_http does: 308 means "resume incomplete", not a redirect.
        http.redirect_codes = http.redirect_codes - {308}
        endpoint = self._extra("api_endpoint")
        service = build(
            "drive",
            "v3",
            http=google_auth_httplib2.AuthorizedHttp(self.get_credentials(), http=http),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": endpoint} if endpoint else None,
        )
        options = DriveOptions(
            folder_id=self._extra("folder_id", "root"),
            drive_id=self._extra("drive_id"),
            chunk_size=int(self._extra("chunk_size", 8 * 1024 * 1024)),
            keep_forever=int(self._extra("keep_forever", 100)),
            conn_id=self.storage_conn_id,
        )
        return GoogleDriveStorage(service=service, options=options)

    def test_connection(self) -> tuple[bool, str]:
        try:
            folder = self.get_conn().root_folder()
        except Exception as exc:  # noqa: BLE001 - reported to the user, not raised
            return False, f"Drive storage {self.storage_conn_id!r}: {exc}"
        return True, f"Drive folder {folder.get('name')!r} ({folder['id']}) reachable"
