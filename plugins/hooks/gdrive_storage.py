"""Google Drive document storage (``ponton_gdrive`` connection) on the google provider's
``GoogleBaseHook`` and google-api-python-client.

Keys map to folder paths under a root folder (created on first use); updating a file adds a head
revision, kept forever when ``keep_revision_forever`` is set (Drive otherwise purges old revisions
after 30 days / 100 revisions). Uploads are resumable in ``chunk_size`` parts and verified against
the ``md5Checksum`` (and ``sha256Checksum`` when reported) Drive computes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any, BinaryIO

from airflow.providers.google.common.hooks.base_google import GoogleBaseHook

from ponton.errors import ConfigError, ReauthorizationRequired, ThrottledError, TransientError
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.storage.keys import GDRIVE_RULES, validate_key
from ponton.storage.port import (
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    QuotaExceeded,
    Receipt,
    VersionInfo,
    verify_checksum,
)
from ponton.storage.streams import prehash

FOLDER = "application/vnd.google-apps.folder"
FILE_FIELDS = "id,name,mimeType,size,md5Checksum,sha256Checksum,headRevisionId,appProperties"
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")


class GoogleDriveStorageHook(MaskedConnectionMixin, GoogleBaseHook):
    """A Drive folder as a :class:`ponton.storage.Storage`.

    Extras besides the google provider's credential fields: ``folder_id`` (root folder, default
    ``root``), ``keep_revision_forever`` (default true), ``chunk_size`` (bytes, a multiple of 256
    KiB, default 8 MiB), ``num_retries`` (429/5xx retries, default 5), ``api_endpoint`` and
    ``ca_certs`` (private gateways), ``anonymous`` (loopback fakes only).
    """

    conn_name_attr = "storage_conn_id"
    default_conn_name = "ponton_storage_gdrive"
    conn_type = "ponton_gdrive"
    hook_name = "ponton Google Drive storage"
    name = "gdrive"
    algorithm = "md5"
    capabilities = frozenset({"versions", "md5", "sha256", "resumable"})

    def __init__(
        self, *, storage_conn_id: str = default_conn_name, impersonation_chain: str | None = None
    ) -> None:
        super().__init__(gcp_conn_id=storage_conn_id, impersonation_chain=impersonation_chain)
        self.storage_conn_id = storage_conn_id
        self._folders: dict[str, str] = {}

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, StringField

        return super().get_connection_form_widgets() | {
            "folder_id": StringField(lazy_gettext("Root folder id"), widget=BS3TextFieldWidget()),
            "keep_revision_forever": BooleanField(lazy_gettext("Keep revisions forever")),
        }

    def _extra(self, name: str, default: Any = None) -> Any:
        value = self._get_field(name, None)
        return default if value in (None, "") else value

    @cached_property
    def service(self):
        import google_auth_httplib2
        import httplib2
        from google.auth.credentials import AnonymousCredentials
        from googleapiclient.discovery import build

        anonymous = str(self._extra("anonymous", "")).lower() == "true"
        credentials = AnonymousCredentials() if anonymous else self.get_credentials()
        http = httplib2.Http(ca_certs=self._extra("ca_certs"), timeout=120)
        # As googleapiclient.http.build_http does: 308 means "resume incomplete", not a redirect.
        http.redirect_codes = http.redirect_codes - {308}
        endpoint = self._extra("api_endpoint")
        return build(
            "drive",
            "v3",
            http=google_auth_httplib2.AuthorizedHttp(credentials, http=http),
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": endpoint} if endpoint else None,
        )

    def get_conn(self) -> GoogleDriveStorageHook:
        return self

    @property
    def num_retries(self) -> int:
        return int(self._extra("num_retries", 5))

    def _execute(self, request, what: str):
        """Run one request with the client's own 429/5xx retries, translating what remains."""
        from google.auth.exceptions import GoogleAuthError
        from googleapiclient.errors import HttpError

        try:
            return request.execute(num_retries=self.num_retries)
        except HttpError as exc:
            raise self._translate(exc, what) from exc
        except GoogleAuthError as exc:  # 401 and the token cannot be refreshed
            raise ReauthorizationRequired(
                self.storage_conn_id, f"Drive token refresh: {exc}"
            ) from exc
        except OSError as exc:
            raise TransientError(f"Drive {what}: {type(exc).__name__}: {exc}") from exc

    def _translate(self, exc, what: str) -> Exception:
        status = exc.resp.status
        try:
            reason = json.loads(exc.content)["error"]["errors"][0]["reason"]
        except (ValueError, KeyError, IndexError, TypeError):
            reason = ""
        where = f"Drive {what} ({status} {reason})"
        if status == 401:
            return ReauthorizationRequired(self.storage_conn_id, where)
        if reason == "storageQuotaExceeded":
            return QuotaExceeded(
                f"{where}: the Drive owner's storage quota is full; free space or move the root "
                "folder to a shared drive with room"
            )
        if status == 429 or status >= 500 or reason in THROTTLE_REASONS:
            return ThrottledError(f"{where}: still failing after {self.num_retries} retries")
        if status == 404:
            return ObjectNotFound(f"{where}: not found; check folder_id and the sharing settings")
        if status == 403:
            return ConfigError(f"{where}: permission denied; share the folder with the account")
        return TransientError(f"{where}: {exc}")

    # -- folder path resolution ----------------------------------------------------------------
    def _child(self, parent: str, name: str, *, folder: bool) -> dict | None:
        q = f"name = '{_quote(name)}' and '{parent}' in parents and trashed = false"
        q += f" and mimeType {'=' if folder else '!='} '{FOLDER}'"
        files = self._execute(
            self.service.files().list(
                q=q, spaces="drive", fields=f"files({FILE_FIELDS})", pageSize=10,
                supportsAllDrives=True, includeItemsFromAllDrives=True,
            ),
            f"find {name!r}",
        ).get("files", [])  # fmt: skip
        return files[0] if files else None

    def _folder(self, path: str, *, create: bool) -> str | None:
        """The id of folder ``path`` (``a/b``) under the root, created segment by segment."""
        parent = self._extra("folder_id", "root")
        walked = ""
        for segment in path.split("/") if path else []:
            walked = f"{walked}/{segment}"
            if walked not in self._folders:
                found = self._child(parent, segment, folder=True)
                if found is None and not create:
                    return None
                if found is None:
                    body = {"name": segment, "mimeType": FOLDER, "parents": [parent]}
                    found = self._execute(
                        self.service.files().create(body=body, fields="id", supportsAllDrives=True),
                        f"create folder {walked!r}",
                    )
                self._folders[walked] = found["id"]
            parent = self._folders[walked]
        return parent

    def _find(self, key: str) -> dict | None:
        folder, _, name = validate_key(key, GDRIVE_RULES).rpartition("/")
        parent = self._folder(folder, create=False)
        return None if parent is None else self._child(parent, name, folder=False)

    # -- the port ------------------------------------------------------------------------------
    def put(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Receipt:
        from googleapiclient.http import MediaIoBaseUpload

        key = validate_key(key, GDRIVE_RULES)
        ours = prehash(stream, "md5", key)
        current = self._find(key)
        if current is not None and current.get("md5Checksum") == ours.checksum:
            return Receipt(
                key, current["id"], current.get("headRevisionId"), ours.sha256, ours.size, "md5",
                ours.checksum, created=False,
            )  # fmt: skip
        chunk = int(self._extra("chunk_size", 8 * 1024 * 1024))
        media = MediaIoBaseUpload(stream, mimetype=content_type, chunksize=chunk, resumable=True)
        keep = str(self._extra("keep_revision_forever", "true")).lower() == "true"
        props = {**(metadata or {}), "sha256": ours.sha256}
        files = self.service.files()
        if current is None:
            folder, _, name = key.rpartition("/")
            body = {
                "name": name,
                "parents": [self._folder(folder, create=True)],
                "appProperties": props,
            }
            request = files.create(
                body=body, media_body=media, fields=FILE_FIELDS, keepRevisionForever=keep,
                supportsAllDrives=True,
            )  # fmt: skip
        else:
            request = files.update(
                fileId=current["id"], body={"appProperties": props}, media_body=media,
                fields=FILE_FIELDS, keepRevisionForever=keep, supportsAllDrives=True,
            )  # fmt: skip
        stored = self._upload(request, key)
        verify_checksum(self.name, key, "md5", ours.checksum, stored.get("md5Checksum"))
        if stored.get("sha256Checksum") and stored["sha256Checksum"] != ours.sha256:
            raise ChecksumMismatch(self.name, key, "sha256", ours.sha256, stored["sha256Checksum"])
        return Receipt(
            key, stored["id"], stored.get("headRevisionId"), ours.sha256, ours.size, "md5",
            stored["md5Checksum"],
        )  # fmt: skip

    def _upload(self, request, key: str) -> dict:
        """Send the resumable upload chunk by chunk; each chunk retried by the client."""
        from googleapiclient.errors import HttpError

        response = None
        try:
            while response is None:
                _status, response = request.next_chunk(num_retries=self.num_retries)
        except HttpError as exc:
            raise self._translate(exc, f"upload {key!r}") from exc
        except OSError as exc:
            raise TransientError(f"Drive upload {key!r}: {type(exc).__name__}: {exc}") from exc
        return response

    def head(self, key: str) -> ObjectInfo | None:
        found = self._find(key)
        if found is None:
            return None
        checksums = {"md5": found.get("md5Checksum"), "sha256": found.get("sha256Checksum")}
        return ObjectInfo(
            key=validate_key(key),
            remote_id=found["id"],
            remote_version_id=found.get("headRevisionId"),
            size=int(found.get("size", 0)),
            content_type=found.get("mimeType"),
            checksums={k: v for k, v in checksums.items() if v},
            metadata=found.get("appProperties", {}),
        )

    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        from googleapiclient.http import MediaIoBaseDownload

        found = self._find(key)
        if found is None:
            raise ObjectNotFound(f"Drive: {key!r} does not exist under the root folder")
        files = self.service.files()
        request = (
            files.get_media(fileId=found["id"])
            if version_id is None
            else self.service.revisions().get_media(fileId=found["id"], revisionId=version_id)
        )
        buffer = io.BytesIO()
        downloader = MediaIoBaseDownload(buffer, request, chunksize=8 * 1024 * 1024)
        done = False
        while not done:
            _status, done = downloader.next_chunk(num_retries=self.num_retries)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    def list_versions(self, key: str) -> list[VersionInfo]:
        from datetime import datetime

        found = self._find(key)
        if found is None:
            return []
        revisions, token = [], None
        while True:
            page = self._execute(
                self.service.revisions().list(
                    fileId=found["id"], pageToken=token,
                    fields="nextPageToken,revisions(id,size,md5Checksum,modifiedTime)",
                ),
                f"list revisions of {key!r}",
            )  # fmt: skip
            revisions += page.get("revisions", [])
            token = page.get("nextPageToken")
            if not token:
                break
        return [
            VersionInfo(
                r["id"],
                int(r.get("size", 0)),
                datetime.fromisoformat(r["modifiedTime"].replace("Z", "+00:00")),
                {"md5": r["md5Checksum"]} if r.get("md5Checksum") else {},
            )
            for r in revisions
        ]

    def test_connection(self) -> tuple[bool, str]:
        try:
            folder = self._execute(
                self.service.files().get(
                    fileId=self._extra("folder_id", "root"), fields="id,name",
                    supportsAllDrives=True,
                ),
                "open the root folder",
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - reported to the user, not raised
            return False, f"Drive storage {self.storage_conn_id!r}: {exc}"
        return True, f"Drive folder {folder.get('name')!r} ({folder['id']}) reachable"
