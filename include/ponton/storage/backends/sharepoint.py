"""SharePoint document libraries and OneDrive for Business over Microsoft Graph's REST API, with a
ready ``requests`` session and a token provider (the hook's Entra ID credential).

Files up to ``simple_upload_limit`` go in one ``PUT …:/content`` (Graph allows 250 MB:
https://learn.microsoft.com/graph/api/driveitem-put-content); larger ones through an upload
session in ranges of a multiple of 320 KiB. A range that fails is not abandoned: the session's
``nextExpectedRanges`` says where to resume
(https://learn.microsoft.com/graph/api/driveitem-createuploadsession).

Verification: the ``quickXorHash`` Graph reports must equal ours, except for Office formats, which
SharePoint rewrites as it stores them (it injects library metadata: size and hash change; see
https://rclone.org/onedrive/#unexpected-file-size-hash-differences-on-sharepoint). For those the
rule is *size and our hash*: the service must acknowledge every byte we sent, our SHA-256 is
recorded in the ledger, and the hash Graph then reports is recorded as the stored checksum, which
later checks compare against. The current version downloads through the item's content (Graph
refuses ``versions/{current}/content``). Names are case-insensitive, as in SharePoint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, BinaryIO
from urllib.parse import quote

from ponton.errors import (
    ConfigError,
    PontonError,
    ReauthorizationRequired,
    ThrottledError,
    TransientError,
)
from ponton.retry import RetryPolicy, parse_retry_after
from ponton.storage.backends.base import VerifiedStorage
from ponton.storage.hashing import Digests
from ponton.storage.keys import SHAREPOINT_RULES, validate_key
from ponton.storage.port import (
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    QuotaExceeded,
    VersionInfo,
)
from ponton.storage.streams import parts

GRAPH = "https://graph.microsoft.com/v1.0"
SIMPLE_LIMIT = 250 * 1024 * 1024
FRAGMENT = 320 * 1024
# Office Open XML formats SharePoint rewrites on upload (document properties, library columns).
REWRITTEN = re.compile(
    r"\.(docx|docm|dotx|dotm|xlsx|xlsm|xltx|xltm|xlsb|pptx|pptm|potx|ppsx|vsdx)$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SharePointOptions:
    drive_id: str | None = None  # or site + library
    site: str | None = None  # contoso.sharepoint.com:/sites/missions
    library: str = "Documents"
    folder: str = ""  # path prefix inside the drive
    chunk_size: int = 10 * FRAGMENT  # rounded down to a multiple of 320 KiB
    simple_upload_limit: int = 4 * 1024 * 1024  # at most Graph's 250 MB
    graph_endpoint: str = GRAPH
    ca_certs: str | None = None  # a private CA in front of Graph
    conn_id: str = "ponton_storage_sharepoint"  # named in re-authorisation errors


def rewritten_by_service(key: str) -> bool:
    return bool(REWRITTEN.search(key.lower()))


class SharePointStorage(VerifiedStorage):
    """A SharePoint document library (or OneDrive) folder as a :class:`ponton.storage.Storage`."""

    name = "sharepoint"
    algorithm = "quickxor"
    rules = SHAREPOINT_RULES
    case_sensitive = False
    capabilities = frozenset({"quickxor", "resumable"})

    def __init__(
        self,
        *,
        session: Any,
        token: Callable[[], str],
        options: SharePointOptions,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(retry=retry)
        self.session, self.token, self.options = session, token, options
        root = options.drive_id or f"{options.site}/{options.library}"
        self.location = f"sharepoint://{root}/{options.folder.strip('/')}"

    # -- calls and errors ------------------------------------------------------------------------
    def _error(self, response, what: str) -> PontonError:
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = ""
        status = response.status_code
        where = f"Graph {what} ({status} {code})"
        if status == 401:
            return ReauthorizationRequired(self.options.conn_id, where)
        if status == 507 or code in ("quotaLimitReached", "insufficientStorage"):
            return QuotaExceeded(
                f"{where}: the site or OneDrive is out of storage; free space or raise its quota "
                "in the SharePoint admin centre"
            )
        if status in (429, 503, 504):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return ThrottledError(f"{where}: throttled, retry later", retry_after)
        if status == 404:
            return ObjectNotFound(f"{where}: not found")
        if status == 403:
            return ConfigError(
                f"{where}: the app lacks access; grant it Sites.Selected (write) on the site"
            )
        if status >= 500:
            return TransientError(f"{where}: server error")
        return ConfigError(f"{where}: {response.text[:300]}")

    def _translate(self, exc: Exception, what: str) -> PontonError | None:
        from azure.core.exceptions import ClientAuthenticationError

        if isinstance(exc, ClientAuthenticationError):  # the token request was refused
            cause = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return ReauthorizationRequired(self.options.conn_id, f"token request: {cause}")
        return None

    def _send(self, method: str, url: str, what: str, *, auth: bool = True, **kwargs: Any):
        import requests

        base = self.options.graph_endpoint.rstrip("/")
        full = url if url.startswith("http") else f"{base}{url}"
        headers = kwargs.pop("headers", {})
        if auth:  # an upload URL carries its own authorisation: no bearer token goes there
            headers = headers | {"Authorization": f"Bearer {self.token()}"}
        rewind = kwargs.pop("rewind", None)
        if rewind is not None:
            rewind()
        try:
            response = self.session.request(
                method,
                full,
                headers=headers,
                timeout=120,
                verify=self.options.ca_certs or True,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise TransientError(f"Graph {what}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise self._error(response, what)
        return response

    def _graph(self, method: str, url: str, what: str, **kwargs: Any):
        return self._call(what, self._send, method, url, what, **kwargs)

    # -- drive and paths -------------------------------------------------------------------------
    @cached_property
    def drive_id(self) -> str:
        if self.options.drive_id:
            return self.options.drive_id
        site = self.options.site or ""
        if ":/" not in site:
            raise ConfigError(
                f"connection {self.options.conn_id!r} needs 'drive_id' or 'site' as "
                "host:/sites/name (e.g. contoso.sharepoint.com:/sites/missions)"
            )
        host, path = site.split(":", 1)
        try:
            site_id = self._graph("GET", f"/sites/{host}:{path}", f"site {site}").json()["id"]
        except ObjectNotFound as exc:
            raise ConfigError(f"SharePoint site {site!r} does not exist; fix 'site'") from exc
        drives = self._graph("GET", f"/sites/{site_id}/drives", "list libraries").json()["value"]
        for drive in drives:
            if drive["name"].lower() == self.options.library.lower():
                return drive["id"]
        raise ConfigError(
            f"site {site!r} has no library {self.options.library!r}; libraries: "
            f"{', '.join(d['name'] for d in drives)}"
        )

    def _path(self, key: str) -> str:
        folder = self.options.folder.strip("/")
        key = validate_key(key, SHAREPOINT_RULES)
        return quote(f"{folder}/{key}" if folder else key)

    def _item(self, key: str) -> dict | None:
        url = f"/drives/{self.drive_id}/root:/{self._path(key)}"
        try:
            return self._graph("GET", url, f"find {key!r}").json()
        except ObjectNotFound:
            return None

    def _head_version(self, item_id: str) -> str | None:
        url = f"/drives/{self.drive_id}/items/{item_id}/versions"
        versions = self._graph("GET", url, "list versions").json()["value"]
        return versions[0]["id"] if versions else None  # newest first

    def _info(self, key: str, item: dict, received: int | None = None) -> ObjectInfo:
        file = item.get("file", {})
        hashes = file.get("hashes") or {}
        return ObjectInfo(
            key=validate_key(key, SHAREPOINT_RULES),
            remote_id=item["id"],
            remote_version_id=self._head_version(item["id"]),
            size=item.get("size", 0),
            content_type=file.get("mimeType"),
            checksums={"quickxor": hashes["quickXorHash"]} if "quickXorHash" in hashes else {},
            metadata={} if received is None else {"bytes_received": str(received)},
        )

    # -- the verified put's vendor steps ---------------------------------------------------------
    def head(self, key: str) -> ObjectInfo | None:
        item = self._item(key)
        return None if item is None else self._info(key, item)

    def _upload(self, key, stream: BinaryIO, ours: Digests, *, content_type, metadata, current):
        target = f"/drives/{self.drive_id}/root:/{self._path(key)}"
        if ours.size <= min(self.options.simple_upload_limit, SIMPLE_LIMIT):
            start = stream.tell()
            response = self._graph(
                "PUT",
                f"{target}:/content",
                f"upload {key!r}",
                data=stream,
                headers={"Content-Type": content_type, "Content-Length": str(ours.size)},
                rewind=lambda: stream.seek(start),
            )
            return response.json(), ours.size
        return self._upload_session(target, stream, ours.size, key), ours.size

    def _upload_session(self, target: str, stream: BinaryIO, size: int, key: str) -> dict:
        """Ranges of ``chunk_size`` sent to the session URL; after a failed range the session
        says which bytes it still expects, and the upload resumes there."""
        chunk = max(FRAGMENT, self.options.chunk_size // FRAGMENT * FRAGMENT)
        body = {"item": {"@microsoft.graph.conflictBehavior": "replace"}}
        session = self._graph(
            "POST", f"{target}:/createUploadSession", f"start upload of {key!r}", json=body
        ).json()
        url, start, offset, failures = session["uploadUrl"], stream.tell(), 0, 0
        while True:
            stream.seek(start + offset)
            block = next(parts(stream, chunk))
            end = offset + len(block) - 1
            try:
                response = self._send(
                    "PUT",
                    url,
                    f"upload {key!r} bytes {offset}-{end}",
                    auth=False,
                    data=block,
                    headers={"Content-Range": f"bytes {offset}-{end}/{size}"},
                )
            except TransientError:
                failures += 1
                if failures >= self.retry.attempts:
                    raise
                offset = self._next_expected(url, key)
                continue
            if response.status_code in (200, 201):
                return response.json()
            offset = int(response.json()["nextExpectedRanges"][0].split("-")[0])

    def _next_expected(self, url: str, key: str) -> int:
        status = self._graph("GET", url, f"resume upload of {key!r}", auth=False).json()
        return int(status["nextExpectedRanges"][0].split("-")[0])

    def _read_back(self, key: str, uploaded: tuple[dict, int]) -> ObjectInfo:
        item, received = uploaded
        return self._info(key, item, received)

    def _verify(self, key: str, ours: Digests, stored: ObjectInfo, *, content_type: str) -> None:
        if not rewritten_by_service(key):
            super()._verify(key, ours, stored, content_type=content_type)
            return
        received = int(stored.metadata.get("bytes_received", -1))
        if received != ours.size:
            raise ChecksumMismatch(self.name, key, "size", str(ours.size), str(received))
        if not stored.checksums.get("quickxor"):
            raise ChecksumMismatch(self.name, key, "quickxor", "a hash of the stored file", "none")

    # -- reads -----------------------------------------------------------------------------------
    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        item = self._item(key)
        if item is None:
            raise ObjectNotFound(f"SharePoint: {key!r} does not exist in the drive")
        current = version_id is None or version_id == self._head_version(item["id"])
        url = f"/drives/{self.drive_id}/items/{item['id']}" + (
            "/content" if current else f"/versions/{version_id}/content"
        )
        response = self._graph("GET", url, f"download {key!r}", stream=True)
        yield from response.iter_content(1024 * 1024)

    def list_keys(self) -> Iterator[str]:
        folder = self.options.folder.strip("/")
        pending = [folder]
        while pending:
            path = pending.pop()
            url = (
                f"/drives/{self.drive_id}/root:/{quote(path)}:/children"
                if path
                else f"/drives/{self.drive_id}/root/children"
            )
            while url:
                page = self._graph("GET", url, f"list {path or '/'}").json()
                for item in page["value"]:
                    child = f"{path}/{item['name']}" if path else item["name"]
                    if "folder" in item:
                        pending.append(child)
                    else:
                        yield child[len(folder) + 1 :] if folder else child
                url = page.get("@odata.nextLink")

    def list_versions(self, key: str) -> list[VersionInfo]:
        item = self._item(key)
        if item is None:
            return []
        url, versions = f"/drives/{self.drive_id}/items/{item['id']}/versions", []
        while url:
            page = self._graph("GET", url, f"list versions of {key!r}").json()
            versions += page["value"]
            url = page.get("@odata.nextLink")
        return [
            VersionInfo(
                remote_version_id=v["id"],
                size=v.get("size", 0),
                modified_at=datetime.fromisoformat(
                    v["lastModifiedDateTime"].replace("Z", "+00:00")
                ),
            )
            for v in reversed(versions)  # Graph lists the newest first
        ]

    def drive_status(self) -> dict:
        """The drive's name and quota, for the connection test."""
        return self._graph("GET", f"/drives/{self.drive_id}", "open drive").json()
