"""A loopback Microsoft Graph fake for OneDrive/SharePoint files and its Entra ID token endpoint,
over HTTPS (azure-identity only talks to https authorities), following the driveItem docs
(https://learn.microsoft.com/graph/api/resources/driveitem).

Behaviour reproduced, each from the page cited beside it: client-credentials tokens for a known
app and secret, only for a ``/.default`` scope; a bearer token on every call and the app's write
permission; site by path and a site's drives; items by path, names compared case-insensitively;
simple upload (``:/content``) up to 250 MB; upload sessions (ranges in multiples of 320 KiB,
``202`` with ``nextExpectedRanges``, a ``GET`` on the session URL reporting what is missing, no
bearer token on the session URL); Office files rewritten as they are stored (size and hash
change); ``versions`` newest first, the current one included but not downloadable through
``versions/{id}/content``; content downloads answered with a redirect to a pre-authenticated
URL; children listings. Files report ``file.hashes.quickXorHash``. Knobs: ``quota_bytes`` (507),
``corrupt_next_checksum``, ``lose_next_range`` (a range half received, then a 500),
``read_only_clients``, ``fail_next``.
"""

from __future__ import annotations

import itertools
import re
import secrets
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote

from ponton.storage.hashing import QuickXorHash
from tests.fakes.drive_loopback import LoopbackServer, Reply

SIMPLE_LIMIT = 250 * 1024 * 1024
FRAGMENT = 320 * 1024
OFFICE = re.compile(r"\.(docx|docm|dotx|xlsx|xlsm|xltx|pptx|pptm|potx)$", re.IGNORECASE)
_ids = itertools.count(1)


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}})


def quickxor(data: bytes) -> str:
    digest = QuickXorHash()
    digest.update(data)
    return digest.b64digest()


class FakeGraph(LoopbackServer):
    routes = [
        ("GET", r"/([^/]+)/v2\.0/\.well-known/openid-configuration", "openid"),
        ("POST", r"/([^/]+)/oauth2/v2\.0/token", "token"),
        ("GET", r"/v1\.0/sites/([^/:]+):(/.*)", "get_site"),
        ("GET", r"/v1\.0/sites/([^/]+)/drives", "list_drives"),
        ("PUT", r"/v1\.0/drives/([^/]+)/root:/(.+):/content", "simple_upload"),
        ("POST", r"/v1\.0/drives/([^/]+)/root:/(.+):/createUploadSession", "create_session"),
        ("GET", r"/v1\.0/drives/([^/]+)/root/children", "list_children"),
        ("GET", r"/v1\.0/drives/([^/]+)/root:/(.+):/children", "list_children"),
        ("GET", r"/v1\.0/drives/([^/]+)/root:/([^:]+)", "get_by_path"),
        ("GET", r"/v1\.0/drives/([^/]+)/items/([^/]+)/content", "item_content"),
        ("GET", r"/v1\.0/drives/([^/]+)/items/([^/]+)/versions", "list_versions"),
        ("GET", r"/v1\.0/drives/([^/]+)/items/([^/]+)/versions/([^/]+)/content", "version_content"),
        ("GET", r"/v1\.0/drives/([^/]+)", "get_drive"),
        ("PUT", r"/upload/([^/]+)", "upload_range"),
        ("GET", r"/upload/([^/]+)", "session_status"),
        ("GET", r"/download/([^/]+)", "download"),
    ]

    def __init__(self, tls_dir, *, client_id: str, client_secret: str) -> None:
        super().__init__(tls_dir)
        self.apps = {client_id: client_secret}  # app registrations: client id -> secret
        self.sites = {("contoso.sharepoint.com", "/sites/missions"): "site-1"}
        self.drives = {"drive-docs": {"site": "site-1", "name": "Documents", "items": {}}}
        self.sessions: dict[str, dict] = {}
        self.downloads: dict[str, bytes] = {}
        self.tokens: dict[str, str] = {}  # access token -> client id
        self.read_only_clients: set[str] = set()
        self.quota_bytes: int | None = None
        self.corrupt_next_checksum = False
        self.lose_next_range = False
        self.page_size = 200

    def new_drive(self) -> str:
        drive_id = f"drive-{next(_ids)}"
        self.drives[drive_id] = {"site": "site-1", "name": drive_id, "items": {}}
        return drive_id

    # -- Entra ID (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow)
    def openid(self, request, tenant):
        base = f"{self.url}/{tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        }

    def token(self, request, tenant):
        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        client = form.get("client_id")
        if client not in self.apps or self.apps[client] != form.get("client_secret"):
            raise Reply(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
            )
        if not form.get("scope", "").endswith("/.default"):
            raise Reply(400, {"error": "invalid_scope", "error_description": "AADSTS1002012"})
        token = secrets.token_urlsafe(16)
        self.tokens[token] = form["client_id"]
        return {"access_token": token, "token_type": "Bearer", "expires_in": 3599}

    def authorize(self, request, path: str) -> None:
        """Graph calls need a bearer token (401 ``InvalidAuthenticationToken``); writes need the
        app's write permission (403 ``accessDenied``,
        https://learn.microsoft.com/graph/permissions-selected-overview)."""
        if not path.startswith("/v1.0/"):
            return
        auth = request.headers.get("Authorization", "")
        client = self.tokens.get(auth.removeprefix("Bearer "))
        if client is None:
            raise _error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if request.command != "GET" and client in self.read_only_clients:
            raise _error(403, "accessDenied", "Access denied")

    # -- items -----------------------------------------------------------------------------------
    def _item(self, item: dict) -> dict:
        head = item["versions"][-1]
        return {
            "id": item["id"],
            "name": item["path"].rsplit("/", 1)[-1],
            "size": len(head["content"]),
            "eTag": f'"{{{item["id"]}}},{len(item["versions"])}"',
            "lastModifiedDateTime": head["at"],
            "file": {"mimeType": item["mime"], "hashes": {"quickXorHash": head["hash"]}},
        }

    def _drive(self, drive_id: str) -> dict:
        if drive_id not in self.drives:
            raise _error(404, "itemNotFound", f"drive {drive_id} not found")
        return self.drives[drive_id]

    def _by_path(self, drive_id: str, path: str) -> dict:
        """Names are not case-sensitive in OneDrive and SharePoint
        (https://support.microsoft.com/office/restrictions-and-limitations-in-onedrive-and-sharepoint-64883a5d-228e-48f5-b3d2-eb39e07630fa)."""
        item = self._drive(drive_id)["items"].get(unquote(path).casefold())
        if item is None:
            raise _error(404, "itemNotFound", "The resource could not be found.")
        return item

    def _by_id(self, drive_id: str, item_id: str) -> dict:
        for item in self._drive(drive_id)["items"].values():
            if item["id"] == item_id:
                return item
        raise _error(404, "itemNotFound", "The resource could not be found.")

    def _store(self, drive_id: str, path: str, content: bytes, mime: str) -> dict:
        used = sum(
            len(v["content"])
            for d in self.drives.values()
            for i in d["items"].values()
            for v in i["versions"]
        )
        if self.quota_bytes is not None and used + len(content) > self.quota_bytes:
            raise _error(507, "quotaLimitReached", "Insufficient Space Available")
        path = unquote(path)
        if OFFICE.search(path):
            # SharePoint rewrites Office files it stores (document properties, library columns),
            # so their size and hash differ from the uploaded bytes
            # (https://rclone.org/onedrive/#unexpected-file-size-hash-differences-on-sharepoint).
            content += f'<spProperties item="{path}"/>'.encode()
        digest = quickxor(content)
        if self.corrupt_next_checksum:
            self.corrupt_next_checksum, digest = False, quickxor(content + b"!")
        items = self._drive(drive_id)["items"]
        item = items.setdefault(
            path.casefold(),
            {"id": f"item-{next(_ids)}", "path": path, "mime": mime, "versions": []},
        )
        at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        item["versions"].append(
            {"id": f"{len(item['versions']) + 1}.0", "content": content, "hash": digest, "at": at}
        )
        return self._item(item)

    def _redirect(self, content: bytes):
        """Downloads answer 302 to a pre-authenticated URL
        (https://learn.microsoft.com/graph/api/driveitem-get-content)."""
        token = secrets.token_urlsafe(8)
        self.downloads[token] = content
        raise Reply(302, b"", {"Location": f"{self.url}/download/{token}"})

    # -- routes ----------------------------------------------------------------------------------
    def get_site(self, request, host, path):
        site = self.sites.get((host, path))
        if site is None:
            raise _error(404, "itemNotFound", f"site {host}:{path} not found")
        return {"id": site, "webUrl": f"https://{host}{path}"}

    def list_drives(self, request, site_id):
        drives = [
            {"id": k, "name": d["name"]} for k, d in self.drives.items() if d["site"] == site_id
        ]
        return {"value": drives}

    def get_drive(self, request, drive_id):
        drive = self._drive(drive_id)
        return {
            "id": drive_id,
            "name": drive["name"],
            "quota": {"remaining": self.quota_bytes or 10**12},
        }

    def get_by_path(self, request, drive_id, path):
        return self._item(self._by_path(drive_id, path))

    def list_children(self, request, drive_id, path=""):
        """https://learn.microsoft.com/graph/api/driveitem-list-children: pages with
        ``@odata.nextLink``; folders carry a ``folder`` facet."""
        prefix = unquote(path).strip("/").casefold()
        prefix = f"{prefix}/" if prefix else ""
        children: dict[str, dict] = {}
        for folded, item in sorted(self._drive(drive_id)["items"].items()):
            if not folded.startswith(prefix):
                continue
            rest = item["path"][len(prefix) :]
            name, _, deeper = rest.partition("/")
            if deeper:
                children.setdefault(
                    name.casefold(), {"id": f"folder-{name}", "name": name, "folder": {}}
                )
            else:
                children[name.casefold()] = self._item(item)
        values = list(children.values())
        start = int(request.query.get("$skiptoken") or 0)
        page = {"value": values[start : start + self.page_size]}
        if start + self.page_size < len(values):
            page["@odata.nextLink"] = (
                f"{self.url}{request.path.split('?')[0]}?$skiptoken={start + self.page_size}"
            )
        return page

    def item_content(self, request, drive_id, item_id):
        self._redirect(self._by_id(drive_id, item_id)["versions"][-1]["content"])

    def download(self, request, token):
        content = self.downloads.pop(token, None)
        if content is None:
            raise _error(404, "itemNotFound", "download URL expired")
        raise Reply(200, content, {"Content-Type": "application/octet-stream"})

    def simple_upload(self, request, drive_id, path):
        """Up to 250 MB (https://learn.microsoft.com/graph/api/driveitem-put-content)."""
        if len(request.body) > SIMPLE_LIMIT:
            raise _error(
                413, "requestTooLarge", "simple upload is limited to 250 MB; use an upload session"
            )
        mime = request.headers.get("Content-Type", "")
        raise Reply(201, self._store(drive_id, path, request.body, mime))

    def create_session(self, request, drive_id, path):
        """https://learn.microsoft.com/graph/api/driveitem-createuploadsession"""
        self._drive(drive_id)
        session = f"u{next(_ids)}"
        self.sessions[session] = {"drive": drive_id, "path": path, "data": bytearray()}
        return {
            "uploadUrl": f"{self.url}/upload/{session}",
            "expirationDateTime": "2099-01-01T00:00:00Z",
            "nextExpectedRanges": ["0-"],
        }

    def _session(self, request, session_id) -> dict:
        session = self.sessions.get(session_id)
        if session is None:
            raise _error(404, "itemNotFound", "upload session expired or unknown")
        if request.headers.get("Authorization"):
            raise _error(401, "invalidRequest", "do not send Authorization to the uploadUrl")
        return session

    def session_status(self, request, session_id):
        """Resuming: a GET on the uploadUrl lists the missing ranges."""
        session = self._session(request, session_id)
        return {
            "expirationDateTime": "2099-01-01T00:00:00Z",
            "nextExpectedRanges": [f"{len(session['data'])}-"],
        }

    def upload_range(self, request, session_id):
        session = self._session(request, session_id)
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request.headers.get("Content-Range", ""))
        if not match:
            raise _error(400, "invalidRange", "Content-Range required")
        start, end, total = map(int, match.groups())
        if start != len(session["data"]) or end - start + 1 != len(request.body):
            raise _error(416, "invalidRange", f"expected range starting at {len(session['data'])}")
        if end + 1 < total and len(request.body) % FRAGMENT:
            raise _error(400, "invalidRange", "fragments must be multiples of 320 KiB")
        if self.lose_next_range:
            self.lose_next_range = False
            session["data"] += request.body[: len(request.body) // 2]
            raise _error(500, "generalException", "connection reset while receiving the range")
        session["data"] += request.body
        if len(session["data"]) < total:
            raise Reply(
                202,
                {
                    "expirationDateTime": "2099-01-01T00:00:00Z",
                    "nextExpectedRanges": [f"{len(session['data'])}-"],
                },
            )
        del self.sessions[session_id]
        stored = self._store(
            session["drive"], session["path"], bytes(session["data"]), "application/octet-stream"
        )
        raise Reply(201, stored)

    def list_versions(self, request, drive_id, item_id):
        """https://learn.microsoft.com/graph/api/driveitem-list-versions: newest first, the
        current version included."""
        item = self._by_id(drive_id, item_id)
        return {
            "value": [
                {"id": v["id"], "size": len(v["content"]), "lastModifiedDateTime": v["at"]}
                for v in reversed(item["versions"])
            ]
        }

    def version_content(self, request, drive_id, item_id, version_id):
        """Getting the content of the current version is not supported
        (https://learn.microsoft.com/graph/api/driveitemversion-get-contents); the page does not
        say how it fails: this fake refuses with 400."""
        versions = self._by_id(drive_id, item_id)["versions"]
        if versions[-1]["id"] == version_id:
            raise _error(400, "invalidRequest", "use the driveItem content for the current version")
        for v in versions:
            if v["id"] == version_id:
                self._redirect(v["content"])
        raise _error(404, "itemNotFound", f"version {version_id} not found")
