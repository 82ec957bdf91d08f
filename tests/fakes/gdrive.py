"""A loopback Google Drive v3 fake, following https://developers.google.com/drive/api/reference/rest/v3.

Covers what the storage hook uses, driven through google-api-python-client: ``files.list`` with a
``q`` of ``name``/``parents``/``mimeType``/``trashed`` terms, ``files.create`` (folders),
``files.get`` (metadata and ``alt=media``), resumable uploads for create (POST) and update (PATCH,
a new head revision) answering ``308 Resume Incomplete`` with a ``Range`` header until the last
chunk, ``revisions.list``/``revisions.get``. Files report ``md5Checksum`` and ``sha256Checksum``.
Knobs: ``quota_bytes`` (403 ``storageQuotaExceeded``), ``corrupt_next_checksum``, ``fail_next``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import UTC, datetime

from tests.fakes.drive_loopback import LoopbackServer, Reply

FOLDER = "application/vnd.google-apps.folder"
_ids = itertools.count(1)


def _error(status: int, reason: str, message: str) -> Reply:
    return Reply(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"reason": reason, "message": message}],
            }
        },
    )


class FakeDrive(LoopbackServer):
    routes = [
        ("GET", r"/drive/v3/files", "list_files"),
        ("POST", r"/drive/v3/files", "create_metadata"),
        ("GET", r"/drive/v3/files/([^/]+)", "get_file"),
        ("GET", r"/drive/v3/files/([^/]+)/revisions", "list_revisions"),
        ("GET", r"/drive/v3/files/([^/]+)/revisions/([^/]+)", "get_revision"),
        ("POST", r"/upload/drive/v3/files", "start_upload"),
        ("PATCH", r"/upload/drive/v3/files/([^/]+)", "start_upload"),
        ("PUT", r"/upload/drive/v3/files(?:/[^/]+)?", "upload_chunk"),
    ]

    def __init__(self, tls_dir) -> None:
        super().__init__(tls_dir)
        self.files: dict[str, dict] = {
            "root": {"id": "root", "name": "My Drive", "mimeType": FOLDER, "parents": []}
        }
        self.sessions: dict[str, dict] = {}
        self.quota_bytes: int | None = None
        self.corrupt_next_checksum = False

    # -- helpers -------------------------------------------------------------------------------
    def _resource(self, f: dict) -> dict:
        out = {k: f[k] for k in ("id", "name", "mimeType", "parents") if k in f}
        out["kind"] = "drive#file"
        out["appProperties"] = f.get("appProperties", {})
        if f.get("revisions"):
            head = f["revisions"][-1]
            out |= {
                "headRevisionId": head["id"],
                "size": str(len(head["content"])),
                "md5Checksum": head["md5Checksum"],
                "sha256Checksum": head["sha256Checksum"],
            }
        return out

    def _file(self, file_id: str) -> dict:
        if file_id not in self.files or self.files[file_id].get("trashed"):
            raise _error(404, "notFound", f"File not found: {file_id}.")
        return self.files[file_id]

    def used_bytes(self) -> int:
        return sum(len(r["content"]) for f in self.files.values() for r in f.get("revisions", []))

    # -- files ---------------------------------------------------------------------------------
    def list_files(self, request):
        q = request.query.get("q", "")
        terms = {
            "name": re.search(r"name = '((?:[^'\\]|\\.)*)'", q),
            "parent": re.search(r"'([^']+)' in parents", q),
            "mime": re.search(r"mimeType = '([^']+)'", q),
        }
        name = re.sub(r"\\(.)", r"\1", terms["name"].group(1)) if terms["name"] else None
        found = [
            self._resource(f)
            for f in self.files.values()
            if f["id"] != "root"
            and not f.get("trashed")
            and (name is None or f["name"] == name)
            and (not terms["parent"] or terms["parent"].group(1) in f["parents"])
            and (not terms["mime"] or f["mimeType"] == terms["mime"].group(1))
        ]
        return {"kind": "drive#fileList", "files": found}

    def create_metadata(self, request):
        import json

        meta = json.loads(request.body or b"{}")
        file_id = f"f{next(_ids)}"
        self.files[file_id] = {
            "id": file_id,
            "name": meta["name"],
            "mimeType": meta.get("mimeType", "application/octet-stream"),
            "parents": meta.get("parents", ["root"]),
        }
        return self._resource(self.files[file_id])

    def get_file(self, request, file_id):
        f = self._file(file_id)
        if request.query.get("alt") == "media":
            raise Reply(200, f["revisions"][-1]["content"], {"Content-Type": f["mimeType"]})
        return self._resource(f)

    # -- revisions -----------------------------------------------------------------------------
    def list_revisions(self, request, file_id):
        revisions = [
            {
                "id": r["id"],
                "size": str(len(r["content"])),
                "md5Checksum": r["md5Checksum"],
                "modifiedTime": r["modifiedTime"],
                "keepForever": r["keepForever"],
            }
            for r in self._file(file_id).get("revisions", [])
        ]
        return {"kind": "drive#revisionList", "revisions": revisions}

    def get_revision(self, request, file_id, revision_id):
        for r in self._file(file_id).get("revisions", []):
            if r["id"] == revision_id:
                if request.query.get("alt") == "media":
                    raise Reply(200, r["content"], {"Content-Type": "application/octet-stream"})
                return {"id": r["id"], "md5Checksum": r["md5Checksum"]}
        raise _error(404, "notFound", f"Revision not found: {revision_id}.")

    # -- resumable uploads ---------------------------------------------------------------------
    def start_upload(self, request, file_id=None):
        import json

        if request.query.get("uploadType") != "resumable":
            raise _error(400, "badRequest", "only resumable uploads are supported by this fake")
        if file_id is not None:
            self._file(file_id)
        session = f"s{next(_ids)}"
        self.sessions[session] = {
            "file_id": file_id,
            "meta": json.loads(request.body or b"{}"),
            "data": bytearray(),
            "keep": request.query.get("keepRevisionForever") == "true",
            "mime": request.headers.get("X-Upload-Content-Type", "application/octet-stream"),
        }
        location = f"{self.url}/upload/drive/v3/files?uploadType=resumable&upload_id={session}"
        raise Reply(200, b"", {"Location": location})

    def upload_chunk(self, request):
        session = self.sessions.get(request.query.get("upload_id", ""))
        if session is None:
            raise _error(404, "notFound", "upload session not found")
        content_range = request.headers.get("Content-Range")
        if content_range is None:  # a whole (here: empty) body in one request completes it
            session["data"] += request.body
            return self._finish(request.query["upload_id"], session)
        match = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", content_range)
        if not match:
            raise _error(400, "badRequest", f"bad Content-Range {content_range!r}")
        start, _end, total = match.groups()
        if start is not None:
            if int(start) != len(session["data"]):
                raise _error(
                    400, "badRequest", f"chunk starts at {start}, expected {len(session['data'])}"
                )
            session["data"] += request.body
        if total == "*" or len(session["data"]) < int(total):
            headers = {"Range": f"bytes=0-{len(session['data']) - 1}"} if session["data"] else {}
            raise Reply(308, b"", headers)
        return self._finish(request.query["upload_id"], session)

    def _finish(self, session_id: str, session: dict):
        content = bytes(session.pop("data"))
        del self.sessions[session_id]
        if self.quota_bytes is not None and self.used_bytes() + len(content) > self.quota_bytes:
            raise _error(
                403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded."
            )
        meta = session["meta"]
        if session["file_id"] is None:
            file_id = f"f{next(_ids)}"
            self.files[file_id] = {
                "id": file_id,
                "name": meta["name"],
                "mimeType": meta.get("mimeType") or session["mime"],
                "parents": meta.get("parents", ["root"]),
                "revisions": [],
            }
        else:
            file_id = session["file_id"]
        f = self.files[file_id]
        f["appProperties"] = {**f.get("appProperties", {}), **meta.get("appProperties", {})}
        md5 = hashlib.md5(content).hexdigest()
        if self.corrupt_next_checksum:
            self.corrupt_next_checksum, md5 = False, hashlib.md5(content + b"!").hexdigest()
        f.setdefault("revisions", []).append(
            {
                "id": f"r{next(_ids)}",
                "content": content,
                "md5Checksum": md5,
                "sha256Checksum": hashlib.sha256(content).hexdigest(),
                "modifiedTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "keepForever": session["keep"],
            }
        )
        return self._resource(f)
