"""Google Drive storage on a ready Drive v3 client (google-api-python-client).

Keys map to folder paths under a root folder, in My Drive or in a shared drive (``drive_id``:
every call says ``supportsAllDrives`` and lists with ``corpora=drive``). Updating a file adds a
head revision; Drive purges non-head revisions after 30 days or past 100 unless they are kept
forever, and allows at most 200 kept-forever revisions per file
(https://developers.google.com/drive/api/guides/manage-revisions). So a put does not pin its
revision: the publisher pins the versions its ledger records (:meth:`pin_version`) and unpins the
oldest beyond ``keep_forever`` (at most 200). Uploads are resumable in ``chunk_size`` parts and
verified against ``md5Checksum`` and, when reported, ``sha256Checksum``.

Drive allows two files of the same name in one folder: the one ponton created (``appProperties``
marker) is used, else the oldest; the others are reported as extra by ``ponton documents verify``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from ponton.errors import (
    ConfigError,
    PontonError,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.retry import RetryPolicy
from ponton.storage.backends.base import VerifiedStorage
from ponton.storage.hashing import Digests
from ponton.storage.keys import GDRIVE_RULES, validate_key
from ponton.storage.port import (
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    QuotaExceeded,
    VersionInfo,
)

FOLDER = "application/vnd.google-apps.folder"
FILE_FIELDS = (
    "id,name,mimeType,size,md5Checksum,sha256Checksum,headRevisionId,appProperties,createdTime"
)
MAX_KEPT_FOREVER = 200  # documented cap per file
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "backendError"}
QUOTA_REASONS = {"storageQuotaExceeded", "quotaExceeded", "teamDriveFileLimitExceeded"}
PERMISSION_REASONS = {"insufficientFilePermissions", "appNotAuthorizedToFile", "forbidden"}
SCOPE_REASONS = {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}
MARKER = "ponton"  # appProperties key on the files ponton creates


def _quote(name: str) -> str:
    return name.replace("\\", "\\\\").replace("'", "\\'")


@dataclass(frozen=True, slots=True, kw_only=True)
class DriveOptions:
    folder_id: str = "root"  # the root folder; in a shared drive, the drive id or a folder in it
    drive_id: str | None = None  # a shared drive
    chunk_size: int = 8 * 1024 * 1024  # a multiple of 256 KiB
    keep_forever: int = 100  # pinned revisions per file, at most 200
    conn_id: str = "ponton_storage_gdrive"  # named in re-authorisation errors


class GoogleDriveStorage(VerifiedStorage):
    """A Drive folder (My Drive or a shared drive) as a :class:`ponton.storage.Storage`."""

    name = "gdrive"
    algorithm = "md5"
    rules = GDRIVE_RULES
    capabilities = frozenset({"md5", "sha256", "resumable"})

    def __init__(self, *, service: Any, options: DriveOptions, retry: RetryPolicy | None = None):
        super().__init__(retry=retry)
        if not 0 < options.keep_forever <= MAX_KEPT_FOREVER:
            raise ConfigError(
                f"Drive keep_forever is {options.keep_forever}: Drive keeps at most "
                f"{MAX_KEPT_FOREVER} revisions forever per file; choose 1 to {MAX_KEPT_FOREVER}"
            )
        self.service, self.options = service, options
        self.location = f"gdrive://{options.drive_id or 'my-drive'}/{options.folder_id}"
        self._folders: dict[str, str] = {}

    # -- calls and errors ------------------------------------------------------------------------
    def _execute(self, request, what: str):
        return self._call(what, request.execute, num_retries=0)

    def _translate(self, exc: Exception, what: str) -> PontonError | None:
        from google.auth.exceptions import GoogleAuthError, RefreshError
        from googleapiclient.errors import HttpError

        if isinstance(exc, RefreshError | GoogleAuthError):
            return ReauthorizationRequired(self.options.conn_id, f"Drive token refresh: {exc}")
        if isinstance(exc, OSError):
            return TransientError(f"Drive {what}: {type(exc).__name__}: {exc}")
        if not isinstance(exc, HttpError):
            return None
        status = exc.resp.status
        try:
            error = json.loads(exc.content)["error"]
            reason, message = error["errors"][0]["reason"], error.get("message", "")
        except (ValueError, KeyError, IndexError, TypeError):
            reason, message = "", ""
        where = f"Drive {what} ({status} {reason})"
        if status == 401:
            return ReauthorizationRequired(self.options.conn_id, where)
        if reason in QUOTA_REASONS:
            return QuotaExceeded(
                f"{where}: the Drive owner's storage (or the shared drive's item limit) is full; "
                "free space or move the root folder to a shared drive with room"
            )
        if status == 429 or status >= 500 or reason in THROTTLE_REASONS:
            return ThrottledError(f"{where}: throttled or unavailable, retry later")
        if status == 404:
            return ObjectNotFound(
                f"{where}: not found; check folder_id (and drive_id for a shared drive) and that "
                "the account can see it"
            )
        if status == 403 and (reason in SCOPE_REASONS or "scope" in message.lower()):
            return ConfigError(
                f"{where}: the credential lacks the Drive scope; grant "
                "https://www.googleapis.com/auth/drive (or drive.file) to the service account's "
                "domain-wide delegation or re-consent the OAuth client with it"
            )
        if status == 403 and "revision" in f"{reason} {message}".lower():
            return ConfigError(
                f"{where}: the file already has {MAX_KEPT_FOREVER} revisions kept forever; lower "
                "keep_forever in the connection or unpin old revisions in Drive"
            )
        if status == 403:
            return ConfigError(
                f"{where}: permission denied; share the root folder (or add the account to the "
                "shared drive) as Editor / Content manager"
            )
        return TransientError(f"{where}: {message or exc}")

    def _list(self, q: str, what: str, fields: str = FILE_FIELDS) -> list[dict]:
        """Every page of a files.list, in the right corpus, oldest first."""
        scope = (
            {"corpora": "drive", "driveId": self.options.drive_id}
            if self.options.drive_id
            else {"corpora": "user"}
        )
        found, token = [], None
        while True:
            page = self._execute(
                self.service.files().list(
                    q=q,
                    fields=f"nextPageToken,files({fields})",
                    pageSize=100,
                    pageToken=token,
                    orderBy="createdTime",
                    supportsAllDrives=True,
                    includeItemsFromAllDrives=True,
                    **scope,
                ),
                what,
            )
            found += page.get("files", [])
            token = page.get("nextPageToken")
            if not token:
                return found

    # -- folder paths ----------------------------------------------------------------------------
    def _children(self, parent: str, name: str | None = None, *, folder: bool) -> list[dict]:
        q = f"'{parent}' in parents and trashed = false"
        q += f" and mimeType {'=' if folder else '!='} '{FOLDER}'"
        if name is not None:
            q += f" and name = '{_quote(name)}'"
        return self._list(q, f"list {name or 'folder'!r}")

    def _folder(self, path: str, *, create: bool) -> str | None:
        """The id of folder ``path`` (``a/b``) under the root, created segment by segment."""
        parent, walked = self.options.folder_id, ""
        for segment in path.split("/") if path else []:
            walked = f"{walked}/{segment}"
            if walked not in self._folders:
                found = self._children(parent, segment, folder=True)
                if not found and not create:
                    return None
                if not found:
                    body = {"name": segment, "mimeType": FOLDER, "parents": [parent]}
                    request = self.service.files().create(
                        body=body, fields="id", supportsAllDrives=True
                    )
                    found = [self._execute(request, f"create folder {walked!r}")]
                self._folders[walked] = found[0]["id"]
            parent = self._folders[walked]
        return parent

    def _find(self, key: str) -> dict | None:
        folder, _, name = validate_key(key, GDRIVE_RULES).rpartition("/")
        parent = self._folder(folder, create=False)
        if parent is None:
            return None
        files = self._children(parent, name, folder=False)
        ours = [f for f in files if (f.get("appProperties") or {}).get(MARKER)]
        return (ours or files or [None])[0]

    def _info(self, key: str, found: dict) -> ObjectInfo:
        checksums = {"md5": found.get("md5Checksum"), "sha256": found.get("sha256Checksum")}
        return ObjectInfo(
            key=validate_key(key),
            remote_id=found["id"],
            remote_version_id=found.get("headRevisionId"),
            size=int(found.get("size", 0)),
            content_type=found.get("mimeType"),
            checksums={k: v for k, v in checksums.items() if v},
            metadata=found.get("appProperties") or {},
        )

    # -- the verified put's vendor steps ---------------------------------------------------------
    def head(self, key: str) -> ObjectInfo | None:
        found = self._find(key)
        return None if found is None else self._info(key, found)

    def _upload(self, key, stream: BinaryIO, ours: Digests, *, content_type, metadata, current):
        from googleapiclient.http import MediaIoBaseUpload

        media = MediaIoBaseUpload(
            stream, mimetype=content_type, chunksize=self.options.chunk_size, resumable=True
        )
        props = {**metadata, MARKER: "1"}
        files = self.service.files()
        if current is None:
            folder, _, name = key.rpartition("/")
            body = {"name": name, "parents": [self._folder(folder, create=True)]}
            request = files.create(
                body=body | {"appProperties": props},
                media_body=media,
                fields=FILE_FIELDS,
                supportsAllDrives=True,
            )
        else:
            request = files.update(
                fileId=current.remote_id,
                body={"appProperties": props},
                media_body=media,
                fields=FILE_FIELDS,
                supportsAllDrives=True,
            )
        response = None
        while response is None:  # a retried chunk resumes where Drive says the upload stands
            _status, response = self._call(f"upload {key!r}", request.next_chunk, num_retries=0)
        return response

    def _read_back(self, key: str, uploaded: dict) -> ObjectInfo:
        return self._info(key, uploaded)

    def _verify(self, key: str, ours: Digests, stored: ObjectInfo, *, content_type: str) -> None:
        super()._verify(key, ours, stored, content_type=content_type)
        reported = stored.checksums.get("sha256")
        if reported and reported != ours.sha256:
            raise ChecksumMismatch(self.name, key, "sha256", ours.sha256, reported)

    # -- reads -----------------------------------------------------------------------------------
    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        from googleapiclient.http import MediaIoBaseDownload

        found = self._find(key)
        if found is None:
            raise ObjectNotFound(f"Drive: {key!r} does not exist under the root folder")
        request = (
            self.service.files().get_media(fileId=found["id"], supportsAllDrives=True)
            if version_id is None
            else self.service.revisions().get_media(fileId=found["id"], revisionId=version_id)
        )
        buffer = io.BytesIO()
        downloader = MediaIoBaseDownload(buffer, request, chunksize=self.options.chunk_size)
        done = False
        while not done:
            _status, done = self._call(f"download {key!r}", downloader.next_chunk, num_retries=0)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    def list_keys(self) -> Iterator[str]:
        pending = [(self.options.folder_id, "")]
        while pending:
            folder_id, prefix = pending.pop()
            q = f"'{folder_id}' in parents and trashed = false"
            for item in self._list(q, f"list folder {prefix or '/'}", "id,name,mimeType"):
                path = f"{prefix}{item['name']}"
                if item["mimeType"] == FOLDER:
                    pending.append((item["id"], f"{path}/"))
                else:
                    yield path

    # -- revisions -------------------------------------------------------------------------------
    def _revisions(self, file_id: str, what: str) -> list[dict]:
        revisions, token = [], None
        fields = "nextPageToken,revisions(id,size,md5Checksum,modifiedTime,keepForever)"
        while True:
            request = self.service.revisions().list(fileId=file_id, pageToken=token, fields=fields)
            page = self._execute(request, what)
            revisions += page.get("revisions", [])
            token = page.get("nextPageToken")
            if not token:
                return revisions

    def _file_id(self, key: str) -> str:
        found = self._find(key)
        if found is None:
            raise ObjectNotFound(f"Drive: {key!r} does not exist under the root folder")
        return found["id"]

    def list_versions(self, key: str) -> list[VersionInfo]:
        found = self._find(key)
        if found is None:
            return []
        return [
            VersionInfo(
                remote_version_id=r["id"],
                size=int(r.get("size", 0)),
                modified_at=datetime.fromisoformat(r["modifiedTime"].replace("Z", "+00:00")),
                checksums={"md5": r["md5Checksum"]} if r.get("md5Checksum") else {},
            )
            for r in self._revisions(found["id"], f"list revisions of {key!r}")
        ]

    def pin_version(self, key: str, version_id: str, *, keep: bool) -> None:
        """Keep (or stop keeping) a revision forever; pinning one past ``keep_forever`` unpins
        the oldest pinned revisions first, so the file never reaches Drive's cap."""
        file_id = self._file_id(key)
        revisions = self.service.revisions()
        if keep:
            pinned = [
                r["id"]
                for r in self._revisions(file_id, f"list revisions of {key!r}")
                if r.get("keepForever") and r["id"] != version_id
            ]
            for old in pinned[: max(0, len(pinned) + 1 - self.options.keep_forever)]:
                self._pin(revisions, file_id, old, keep=False, key=key)
        self._pin(revisions, file_id, version_id, keep=keep, key=key)

    def _pin(self, revisions, file_id: str, revision_id: str, *, keep: bool, key: str) -> None:
        request = revisions.update(
            fileId=file_id, revisionId=revision_id, body={"keepForever": keep}, fields="id"
        )
        self._execute(request, f"{'pin' if keep else 'unpin'} revision {revision_id} of {key!r}")

    def delete_version(self, key: str, version_id: str) -> None:
        request = self.service.revisions().delete(fileId=self._file_id(key), revisionId=version_id)
        self._execute(request, f"delete revision {version_id} of {key!r}")

    def root_folder(self) -> dict:
        """The root folder's id and name, for the connection test."""
        request = self.service.files().get(
            fileId=self.options.folder_id, fields="id,name", supportsAllDrives=True
        )
        return self._execute(request, "open the root folder")
