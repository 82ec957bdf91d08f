"""A loopback Microsoft Graph fake for OneDrive/SharePoint files, following the driveItem docs
(https://learn.microsoft.com/graph/api/resources/driveitem): site by path, a site's drives, items
by path (``root:/a/b.pdf``), simple upload (``:/content``, refused above 4 MB as Graph does),
upload sessions (``createUploadSession``; ranges in multiples of 320 KiB; ``202`` with
``nextExpectedRanges`` until the last one), ``versions`` newest first, content downloads.
Files report ``file.hashes.quickXorHash``. Knobs: ``quota_bytes`` (507 ``quotaLimitReached``),
``corrupt_next_checksum``, ``fail_next`` (e.g. 429 with ``Retry-After``).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from urllib.parse import unquote

from ponton.storage.hashing import QuickXorHash
from tests.fakes.drive_loopback import LoopbackServer, Reply

SIMPLE_LIMIT = 4 * 1024 * 1024
_ids = itertools.count(1)


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}})


def quickxor(data: bytes) -> str:
    digest = QuickXorHash()
    digest.update(data)
    return digest.b64digest()


class FakeGraph(LoopbackServer):
    routes = [
        ("GET", r"/v1\.0/sites/([^/:]+):(/.*)", "get_site"),
        ("GET", r"/v1\.0/sites/([^/]+)/drives", "list_drives"),
        ("GET", r"/v1\.0/drives/([^/]+)/root:/(.+):/content", "download_path"),
        ("PUT", r"/v1\.0/drives/([^/]+)/root:/(.+):/content", "simple_upload"),
        ("POST", r"/v1\.0/drives/([^/]+)/root:/(.+):/createUploadSession", "create_session"),
        ("GET", r"/v1\.0/drives/([^/]+)/root:/([^:]+)", "get_by_path"),
        ("GET", r"/v1\.0/drives/([^/]+)/items/([^/]+)/versions", "list_versions"),
        ("GET", r"/v1\.0/drives/([^/]+)/items/([^/]+)/versions/([^/]+)/content", "version_content"),
        ("GET", r"/v1\.0/drives/([^/]+)", "get_drive"),
        ("PUT", r"/upload/([^/]+)", "upload_range"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sites = {("contoso.sharepoint.com", "/sites/missions"): "site-1"}
        self.drives = {"drive-docs": {"site": "site-1", "name": "Documents", "items": {}}}
        self.sessions: dict[str, dict] = {}
        self.quota_bytes: int | None = None
        self.corrupt_next_checksum = False
        self.authorizations: list[str | None] = []

    def new_drive(self) -> str:
        drive_id = f"drive-{next(_ids)}"
        self.drives[drive_id] = {"site": "site-1", "name": drive_id, "items": {}}
        return drive_id

    def _item(self, item: dict) -> dict:
        head = item["versions"][-1]
        hashes = {"quickXorHash": head["hash"]}
        return {
            "id": item["id"],
            "name": item["path"].rsplit("/", 1)[-1],
            "size": len(head["content"]),
            "eTag": f'"{{{item["id"]}}},{len(item["versions"])}"',
            "lastModifiedDateTime": head["at"],
            "file": {"mimeType": item["mime"], "hashes": hashes},
        }

    def _drive(self, drive_id: str) -> dict:
        if drive_id not in self.drives:
            raise _error(404, "itemNotFound", f"drive {drive_id} not found")
        return self.drives[drive_id]

    def _by_path(self, drive_id: str, path: str) -> dict:
        item = self._drive(drive_id)["items"].get(unquote(path))
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
        digest = quickxor(content)
        if self.corrupt_next_checksum:
            self.corrupt_next_checksum, digest = False, quickxor(content + b"!")
        items = self._drive(drive_id)["items"]
        path = unquote(path)
        item = items.setdefault(
            path, {"id": f"item-{next(_ids)}", "path": path, "mime": mime, "versions": []}
        )
        at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        item["versions"].append(
            {"id": f"{len(item['versions']) + 1}.0", "content": content, "hash": digest, "at": at}
        )
        return self._item(item)

    # -- routes --------------------------------------------------------------------------------
    def get_site(self, request, host, path):
        self.authorizations.append(request.headers.get("Authorization"))
        site = self.sites.get((host, path))
        if site is None:
            raise _error(404, "itemNotFound", f"site {host}:{path} not found")
        return {"id": site, "webUrl": f"https://{host}{path}"}

    def list_drives(self, request, site_id):
        return {
            "value": [
                {"id": k, "name": d["name"]} for k, d in self.drives.items() if d["site"] == site_id
            ]
        }

    def get_drive(self, request, drive_id):
        drive = self._drive(drive_id)
        return {
            "id": drive_id,
            "name": drive["name"],
            "quota": {"remaining": self.quota_bytes or 10**12},
        }

    def get_by_path(self, request, drive_id, path):
        return self._item(self._by_path(drive_id, path))

    def download_path(self, request, drive_id, path):
        raise Reply(
            200,
            self._by_path(drive_id, path)["versions"][-1]["content"],
            {"Content-Type": "application/octet-stream"},
        )

    def simple_upload(self, request, drive_id, path):
        if len(request.body) > SIMPLE_LIMIT:
            raise _error(
                413, "requestTooLarge", "simple upload is limited to 4 MB; use an upload session"
            )
        raise Reply(
            201, self._store(drive_id, path, request.body, request.headers.get("Content-Type", ""))
        )

    def create_session(self, request, drive_id, path):
        self._drive(drive_id)
        session = f"u{next(_ids)}"
        self.sessions[session] = {"drive": drive_id, "path": path, "data": bytearray()}
        return {
            "uploadUrl": f"{self.url}/upload/{session}",
            "expirationDateTime": "2099-01-01T00:00:00Z",
            "nextExpectedRanges": ["0-"],
        }

    def upload_range(self, request, session_id):
        session = self.sessions.get(session_id)
        if session is None:
            raise _error(404, "itemNotFound", "upload session expired or unknown")
        if request.headers.get("Authorization"):
            raise _error(401, "invalidRequest", "do not send Authorization to the uploadUrl")
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request.headers.get("Content-Range", ""))
        if not match:
            raise _error(400, "invalidRange", "Content-Range required")
        start, end, total = map(int, match.groups())
        if start != len(session["data"]) or end - start + 1 != len(request.body):
            raise _error(416, "invalidRange", f"expected range starting at {len(session['data'])}")
        if end + 1 < total and len(request.body) % (320 * 1024):
            raise _error(400, "invalidRange", "fragments must be multiples of 320 KiB")
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
        raise Reply(
            201,
            self._store(
                session["drive"],
                session["path"],
                bytes(session["data"]),
                "application/octet-stream",
            ),
        )

    def list_versions(self, request, drive_id, item_id):
        item = self._by_id(drive_id, item_id)
        return {
            "value": [
                {"id": v["id"], "size": len(v["content"]), "lastModifiedDateTime": v["at"]}
                for v in reversed(item["versions"])
            ]
        }

    def version_content(self, request, drive_id, item_id, version_id):
        for v in self._by_id(drive_id, item_id)["versions"]:
            if v["id"] == version_id:
                raise Reply(200, v["content"], {"Content-Type": "application/octet-stream"})
        raise _error(404, "itemNotFound", f"version {version_id} not found")
