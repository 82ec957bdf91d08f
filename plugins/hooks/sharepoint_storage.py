"""SharePoint / OneDrive for Business document storage over Microsoft Graph
(``ponton_sharepoint`` connection).

The connection has the fields of the microsoft-azure provider's ``msgraph`` connection (tenant
id, client id as login, client secret as password), so the same app registration serves both.
The provider's Graph hook is async (Kiota); uploads here stream ranges synchronously, so this hook
speaks Graph's REST API with ``requests`` and gets tokens from ``azure-identity``.

Files up to 4 MB go in one ``PUT …:/content``; larger ones through an upload session in ranges of
a multiple of 320 KiB. Every upload is verified against the ``quickXorHash`` Graph reports.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, BinaryIO
from urllib.parse import quote

from airflow.sdk import BaseHook

from ponton.errors import ConfigError, ReauthorizationRequired, ThrottledError, TransientError
from ponton.hooks.masking import MaskedConnectionMixin
from ponton.storage.keys import SHAREPOINT_RULES, validate_key
from ponton.storage.port import (
    ObjectInfo,
    ObjectNotFound,
    QuotaExceeded,
    Receipt,
    VersionInfo,
    verify_checksum,
)
from ponton.storage.streams import parts, prehash

SIMPLE_LIMIT = 4 * 1024 * 1024
FRAGMENT = 320 * 1024
GRAPH = "https://graph.microsoft.com/v1.0"


class SharePointStorageHook(MaskedConnectionMixin, BaseHook):
    """A SharePoint document library (or OneDrive) folder as a :class:`ponton.storage.Storage`.

    Extras: ``tenant_id``; ``site`` (``contoso.sharepoint.com:/sites/missions``) with ``library``
    (default ``Documents``), or ``drive_id`` directly; ``folder`` (path prefix inside the drive);
    ``chunk_size`` (bytes, rounded to 320 KiB, default 10 x 320 KiB); ``max_retries`` (429/503,
    default 5); ``simple_upload_limit`` (bytes, at most Graph's 4 MB); ``graph_endpoint`` and
    ``anonymous`` for loopback fakes.
    """

    conn_name_attr = "storage_conn_id"
    default_conn_name = "ponton_storage_sharepoint"
    conn_type = "ponton_sharepoint"
    hook_name = "ponton SharePoint / OneDrive storage"
    name = "sharepoint"
    algorithm = "quickxor"
    capabilities = frozenset({"versions", "quickxor", "resumable"})

    def __init__(self, *, storage_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.storage_conn_id = storage_conn_id

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import StringField

        return {
            "tenant_id": StringField(lazy_gettext("Tenant ID"), widget=BS3TextFieldWidget()),
            "site": StringField(lazy_gettext("Site (host:/path)"), widget=BS3TextFieldWidget()),
            "library": StringField(lazy_gettext("Library"), widget=BS3TextFieldWidget()),
            "drive_id": StringField(lazy_gettext("Drive id"), widget=BS3TextFieldWidget()),
            "folder": StringField(lazy_gettext("Folder"), widget=BS3TextFieldWidget()),
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "port", "host", "extra"],
            "relabeling": {"login": "Client ID", "password": "Client secret"},
            "placeholders": {"site": "contoso.sharepoint.com:/sites/missions", "folder": "ponton"},
        }

    @cached_property
    def connection(self):
        return self.get_connection(self.storage_conn_id)

    def _extra(self, name: str, default: Any = None) -> Any:
        value = self.connection.extra_dejson.get(name)
        return default if value in (None, "") else value

    @cached_property
    def session(self):
        import requests

        session = requests.Session()
        session.headers["User-Agent"] = "ponton-storage"
        return session

    @cached_property
    def _credential(self):
        from azure.identity import ClientSecretCredential

        tenant = self._extra("tenant_id")
        if not (tenant and self.connection.login and self.connection.password):
            raise ConfigError(
                f"connection {self.storage_conn_id!r} needs tenant_id, client id (login) and "
                "client secret (password) of an app with Sites.Selected or Files.ReadWrite.All"
            )
        return ClientSecretCredential(tenant, self.connection.login, self.connection.password)

    def _auth(self) -> dict[str, str]:
        if str(self._extra("anonymous", "")).lower() == "true":
            return {}
        from azure.core.exceptions import ClientAuthenticationError

        try:
            token = self._credential.get_token("https://graph.microsoft.com/.default").token
        except ClientAuthenticationError as exc:
            raise ReauthorizationRequired(self.storage_conn_id, f"token request: {exc}") from exc
        return {"Authorization": f"Bearer {token}"}

    def _request(self, method: str, url: str, *, what: str, auth: bool = True, **kwargs):
        """One Graph call: 429/503/504 retried with ``Retry-After``; errors translated here."""
        import requests

        base = self._extra("graph_endpoint", GRAPH).rstrip("/")
        full = url if url.startswith("http") else f"{base}{url}"
        retries = int(self._extra("max_retries", 5))
        for attempt in range(retries + 1):
            headers = {**kwargs.pop("headers", {}), **(self._auth() if auth else {})}
            try:
                response = self.session.request(
                    method, full, headers=headers, timeout=120, **kwargs
                )
            except requests.RequestException as exc:
                raise TransientError(f"Graph {what}: {type(exc).__name__}: {exc}") from exc
            if response.status_code not in (429, 503, 504) or attempt == retries:
                break
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
            delay = response.headers.get("Retry-After")
            time.sleep(min(float(delay) if delay else 2.0**attempt, 60.0))
        return self._check(response, what)

    def _check(self, response, what: str):
        if response.status_code < 400:
            return response
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = ""
        where = f"Graph {what} ({response.status_code} {code})"
        status = response.status_code
        if status == 401:
            raise ReauthorizationRequired(self.storage_conn_id, where)
        if status == 507 or code in ("quotaLimitReached", "insufficientStorage"):
            raise QuotaExceeded(
                f"{where}: the site or OneDrive is out of storage; free space or raise its quota "
                "in the SharePoint admin centre"
            )
        if status in (429, 503, 504):
            retry = response.headers.get("Retry-After")
            raise ThrottledError(
                f"{where}: throttled, retry later", float(retry) if retry else None
            )
        if status == 404:
            raise ObjectNotFound(f"{where}: not found")
        if status == 403:
            raise ConfigError(f"{where}: the app lacks access; grant it Sites.Selected on the site")
        if status >= 500:
            raise TransientError(f"{where}: server error")
        raise ConfigError(f"{where}: {response.text[:300]}")

    @cached_property
    def drive_id(self) -> str:
        if self._extra("drive_id"):
            return self._extra("drive_id")
        site = self._extra("site")
        if not site or ":/" not in site:
            raise ConfigError(
                f"connection {self.storage_conn_id!r} needs 'drive_id' or 'site' as "
                "host:/sites/name (e.g. contoso.sharepoint.com:/sites/missions)"
            )
        host, path = site.split(":", 1)
        try:
            site_id = self._request("GET", f"/sites/{host}:{path}", what=f"site {site}").json()[
                "id"
            ]
        except ObjectNotFound as exc:
            raise ConfigError(f"SharePoint site {site!r} does not exist; fix 'site'") from exc
        library = self._extra("library", "Documents")
        drives = self._request("GET", f"/sites/{site_id}/drives", what="list libraries").json()
        for drive in drives["value"]:
            if drive["name"] == library:
                return drive["id"]
        raise ConfigError(
            f"site {site!r} has no library {library!r}; libraries: "
            f"{', '.join(d['name'] for d in drives['value'])}"
        )

    def get_conn(self) -> SharePointStorageHook:
        return self

    def _path(self, key: str) -> str:
        folder = (self._extra("folder") or "").strip("/")
        key = validate_key(key, SHAREPOINT_RULES)
        return quote(f"{folder}/{key}" if folder else key)

    def _item(self, key: str) -> dict | None:
        try:
            return self._request(
                "GET", f"/drives/{self.drive_id}/root:/{self._path(key)}", what=f"find {key!r}"
            ).json()
        except ObjectNotFound:
            return None

    def _head_version(self, item_id: str) -> str | None:
        versions = self._request(
            "GET", f"/drives/{self.drive_id}/items/{item_id}/versions", what="list versions"
        ).json()["value"]
        return versions[0]["id"] if versions else None

    def put(
        self,
        key: str,
        stream: BinaryIO,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> Receipt:
        key = validate_key(key, SHAREPOINT_RULES)
        ours = prehash(stream, "quickxor", key)
        current = self._item(key)
        reported = (current or {}).get("file", {}).get("hashes", {}).get("quickXorHash")
        if current is not None and reported == ours.checksum:
            return Receipt(
                key, current["id"], self._head_version(current["id"]), ours.sha256, ours.size,
                "quickxor", ours.checksum, created=False,
            )  # fmt: skip
        target = f"/drives/{self.drive_id}/root:/{self._path(key)}"
        if ours.size <= min(int(self._extra("simple_upload_limit", SIMPLE_LIMIT)), SIMPLE_LIMIT):
            item = self._request(
                "PUT", f"{target}:/content", what=f"upload {key!r}", data=stream.read(),
                headers={"Content-Type": content_type},
            ).json()  # fmt: skip
        else:
            item = self._upload_session(target, stream, ours.size, key)
        stored = item.get("file", {}).get("hashes", {}).get("quickXorHash")
        verify_checksum(self.name, key, "quickxor", ours.checksum, stored)
        return Receipt(
            key, item["id"], self._head_version(item["id"]), ours.sha256, ours.size, "quickxor",
            stored,
        )  # fmt: skip

    def _upload_session(self, target: str, stream: BinaryIO, size: int, key: str) -> dict:
        """Ranges of ``chunk_size`` (a multiple of 320 KiB) sent to the session URL, which
        carries its own authorisation: no bearer token goes there."""
        chunk = max(FRAGMENT, int(self._extra("chunk_size", 10 * FRAGMENT)) // FRAGMENT * FRAGMENT)
        body = {"item": {"@microsoft.graph.conflictBehavior": "replace"}}
        session = self._request(
            "POST", f"{target}:/createUploadSession", what=f"start upload of {key!r}", json=body
        ).json()
        offset, response = 0, None
        for block in parts(stream, chunk):
            end = offset + len(block) - 1
            response = self._request(
                "PUT", session["uploadUrl"], what=f"upload {key!r} bytes {offset}-{end}",
                auth=False, data=block,
                headers={"Content-Range": f"bytes {offset}-{end}/{size}"},
            )  # fmt: skip
            offset = end + 1
        return response.json()

    def head(self, key: str) -> ObjectInfo | None:
        item = self._item(key)
        if item is None:
            return None
        file = item.get("file", {})
        return ObjectInfo(
            key=validate_key(key, SHAREPOINT_RULES),
            remote_id=item["id"],
            remote_version_id=self._head_version(item["id"]),
            size=item.get("size", 0),
            content_type=file.get("mimeType"),
            checksums={"quickxor": file["hashes"]["quickXorHash"]} if file.get("hashes") else {},
        )

    def get(self, key: str, *, version_id: str | None = None) -> Iterator[bytes]:
        item = self._item(key)
        if item is None:
            raise ObjectNotFound(f"SharePoint: {key!r} does not exist in the drive")
        url = (
            f"/drives/{self.drive_id}/root:/{self._path(key)}:/content"
            if version_id is None
            else f"/drives/{self.drive_id}/items/{item['id']}/versions/{version_id}/content"
        )
        response = self._request("GET", url, what=f"download {key!r}", stream=True)
        yield from response.iter_content(1024 * 1024)

    def list_versions(self, key: str) -> list[VersionInfo]:
        item = self._item(key)
        if item is None:
            return []
        url, versions = f"/drives/{self.drive_id}/items/{item['id']}/versions", []
        while url:
            page = self._request("GET", url, what=f"list versions of {key!r}").json()
            versions += page["value"]
            url = page.get("@odata.nextLink")
        return [
            VersionInfo(
                v["id"],
                v.get("size", 0),
                datetime.fromisoformat(v["lastModifiedDateTime"].replace("Z", "+00:00")),
            )
            for v in reversed(versions)  # Graph lists the newest first
        ]

    def test_connection(self) -> tuple[bool, str]:
        try:
            drive = self._request("GET", f"/drives/{self.drive_id}", what="open drive").json()
        except Exception as exc:  # noqa: BLE001 - reported to the user, not raised
            return False, f"SharePoint storage {self.storage_conn_id!r}: {exc}"
        remaining = drive.get("quota", {}).get("remaining")
        room = f", {remaining // 2**20} MiB free" if remaining is not None else ""
        return True, f"drive {drive.get('name')!r} reachable{room}"
