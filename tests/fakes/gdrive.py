"""A loopback Google Drive v3 fake, following https://developers.google.com/drive/api/reference/rest/v3,
with its OAuth token endpoint, driven through google-api-python-client and google-auth.

Behaviour reproduced, each from the page cited beside it in the code: tokens from a service
account's signed JWT or an OAuth refresh token, and the scope each token carries; ``files.list``
with ``q`` terms, ``corpora``/``driveId``/``includeItemsFromAllDrives``, ``orderBy=createdTime``
and pages of ``pageSize`` (default 100); shared-drive items invisible without
``supportsAllDrives``; two files may share a name in one folder; resumable uploads for create
(POST) and update (PATCH, a new head revision) answering ``308`` until the last chunk; revisions
list/get/update (``keepForever``, at most 200 per file)/delete; ``md5Checksum`` and
``sha256Checksum``. Knobs: ``quota_bytes`` (403 ``storageQuotaExceeded``), ``readers`` (folders
the account may only read), ``corrupt_next_checksum``, ``fail_next``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from tests.fakes.drive_loopback import LoopbackServer, Reply

FOLDER = "application/vnd.google-apps.folder"
DRIVE = "https://www.googleapis.com/auth/drive"
WRITE_SCOPES = {DRIVE, f"{DRIVE}.file"}
READ_SCOPES = WRITE_SCOPES | {f"{DRIVE}.readonly"}
MAX_KEPT_FOREVER = 200
# "When making an access token request this value is always https://oauth2.googleapis.com/token"
# (https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests).
JWT_AUDIENCE = "https://oauth2.googleapis.com/token"
_ids = itertools.count(1)
_clock = itertools.count(1)


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


def _created() -> str:
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=next(_clock))
    return moment.isoformat().replace("+00:00", "Z")


class FakeDrive(LoopbackServer):
    routes = [
        ("POST", r"/token", "token"),
        ("GET", r"/drive/v3/files", "list_files"),
        ("POST", r"/drive/v3/files", "create_metadata"),
        ("GET", r"/drive/v3/files/([^/]+)", "get_file"),
        ("GET", r"/drive/v3/files/([^/]+)/revisions", "list_revisions"),
        ("GET", r"/drive/v3/files/([^/]+)/revisions/([^/]+)", "get_revision"),
        ("PATCH", r"/drive/v3/files/([^/]+)/revisions/([^/]+)", "update_revision"),
        ("DELETE", r"/drive/v3/files/([^/]+)/revisions/([^/]+)", "delete_revision"),
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
        self.readers: set[str] = set()
        self.service_accounts: dict[str, str] = {}  # client_email -> public key (PEM)
        self.refresh_tokens: dict[str, tuple[str, str, str]] = {}  # -> (client, secret, scope)
        self.access_tokens: dict[str, set[str]] = {}  # -> granted scopes

    # -- set-up helpers --------------------------------------------------------------------------
    def new_folder(self, *, shared_drive: bool = False) -> str:
        """A root folder for one test; a shared drive's id is also its root folder's id
        (https://developers.google.com/drive/api/guides/about-shareddrives)."""
        folder_id = f"{'drive' if shared_drive else 'root'}-{next(_ids)}"
        self.files[folder_id] = {
            "id": folder_id,
            "name": folder_id,
            "mimeType": FOLDER,
            "parents": [] if shared_drive else ["root"],
            "driveId": folder_id if shared_drive else None,
            "createdTime": _created(),
        }
        return folder_id

    def used_bytes(self) -> int:
        return sum(len(r["content"]) for f in self.files.values() for r in f.get("revisions", []))

    # -- OAuth ------------------------------------------------------------------------------------
    def token(self, request):
        """Service accounts: https://developers.google.com/identity/protocols/oauth2/service-account#httprest
        (a JWT signed with the account's key, its ``scope`` claim the granted scopes); refresh
        tokens: https://developers.google.com/identity/protocols/oauth2/web-server#offline
        (``invalid_grant`` for an unknown or revoked one)."""
        import google.auth.jwt

        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            claims = google.auth.jwt.decode(form.get("assertion", ""), verify=False)
            key = self.service_accounts.get(claims.get("iss"))
            try:
                claims = google.auth.jwt.decode(form["assertion"], certs=key, audience=JWT_AUDIENCE)
            except (ValueError, TypeError):
                raise Reply(
                    400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
                ) from None
            scope = claims.get("scope", "")
        elif form.get("grant_type") == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None or grant[:2] != (form.get("client_id"), form.get("client_secret")):
                raise Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            scope = grant[2]
        else:
            raise Reply(400, {"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(16)
        self.access_tokens[token] = set(scope.split())
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer", "scope": scope}

    def authorize(self, request, path: str) -> None:
        """A bearer token on every API call (401 ``authError`` without one); a token lacking the
        scope answers 403 ``insufficientPermissions``
        (https://developers.google.com/drive/api/guides/api-specific-auth,
        https://developers.google.com/drive/api/guides/handle-errors)."""
        if path == "/token":
            return
        auth = request.headers.get("Authorization", "")
        scopes = self.access_tokens.get(auth.removeprefix("Bearer "))
        if scopes is None:
            raise _error(401, "authError", "Invalid Credentials")
        needed = READ_SCOPES if request.command == "GET" else WRITE_SCOPES
        if not scopes & needed:
            raise _error(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )

    # -- helpers ---------------------------------------------------------------------------------
    def _resource(self, f: dict) -> dict:
        out = {k: f[k] for k in ("id", "name", "mimeType", "parents", "createdTime") if k in f}
        out["kind"] = "drive#file"
        out["appProperties"] = f.get("appProperties", {})
        if f.get("driveId"):
            out["driveId"] = f["driveId"]
        if f.get("revisions"):
            head = f["revisions"][-1]
            out |= {
                "headRevisionId": head["id"],
                "size": str(len(head["content"])),
                "md5Checksum": head["md5Checksum"],
                "sha256Checksum": head["sha256Checksum"],
            }
        return out

    def _file(self, request, file_id: str, *, revisions: bool = False) -> dict:
        """Shared-drive items are not found unless the caller says ``supportsAllDrives=true``
        (https://developers.google.com/drive/api/guides/enable-shareddrives); the revisions
        methods have no such parameter."""
        f = self.files.get(file_id)
        all_drives = revisions or request.query.get("supportsAllDrives") == "true"
        hidden = f is not None and f.get("driveId") and not all_drives
        if f is None or f.get("trashed") or hidden:
            raise _error(404, "notFound", f"File not found: {file_id}.")
        return f

    def _writable(self, file_id: str) -> None:
        """Writing under a folder shared read-only answers 403 ``insufficientFilePermissions``."""
        seen = file_id
        while seen:
            if seen in self.readers:
                raise _error(
                    403,
                    "insufficientFilePermissions",
                    "The user does not have sufficient permissions for this file.",
                )
            parents = self.files.get(seen, {}).get("parents") or [None]
            seen = parents[0]

    # -- files -----------------------------------------------------------------------------------
    def list_files(self, request):
        """https://developers.google.com/drive/api/reference/rest/v3/files/list: ``corpora``
        defaults to ``user`` (no shared-drive items); ``driveId`` needs ``corpora=drive`` and
        ``includeItemsFromAllDrives=true``; ``pageSize`` defaults to 100."""
        query = request.query
        corpora = query.get("corpora", "user")
        drive_id = query.get("driveId")
        if drive_id and (corpora != "drive" or query.get("includeItemsFromAllDrives") != "true"):
            raise _error(
                400, "badRequest", "driveId requires corpora=drive and includeItemsFromAllDrives"
            )
        if corpora == "drive" and not drive_id:
            raise _error(400, "badRequest", "The driveId parameter must be specified")
        q = query.get("q", "")
        name = re.search(r"name = '((?:[^'\\]|\\.)*)'", q)
        parent = re.search(r"'([^']+)' in parents", q)
        mime = re.search(r"mimeType (!?=) '([^']+)'", q)
        name = re.sub(r"\\(.)", r"\1", name.group(1)) if name else None
        found = [
            f
            for f in self.files.values()
            if f["id"] != "root"
            and not f.get("trashed")
            and (f.get("driveId") == drive_id if corpora == "drive" else not f.get("driveId"))
            and (name is None or f["name"] == name)
            and (not parent or parent.group(1) in f["parents"])
            and (not mime or (f["mimeType"] == mime.group(2)) == (mime.group(1) == "="))
        ]
        if query.get("orderBy") == "createdTime":
            found.sort(key=lambda f: (f.get("createdTime", ""), f["id"]))
        size = int(query.get("pageSize", 100))
        start = int(query.get("pageToken") or 0)
        page = {
            "kind": "drive#fileList",
            "files": [self._resource(f) for f in found[start : start + size]],
        }
        if start + size < len(found):
            page["nextPageToken"] = str(start + size)
        return page

    def create_metadata(self, request):
        meta = json.loads(request.body or b"{}")
        parent = self._file(request, meta.get("parents", ["root"])[0])
        self._writable(parent["id"])
        file_id = f"f{next(_ids)}"
        self.files[file_id] = {
            "id": file_id,
            "name": meta["name"],
            "mimeType": meta.get("mimeType", "application/octet-stream"),
            "parents": [parent["id"]],
            "driveId": parent.get("driveId"),
            "createdTime": _created(),
        }
        return self._resource(self.files[file_id])

    def get_file(self, request, file_id):
        f = self._file(request, file_id)
        if request.query.get("alt") == "media":
            raise Reply(200, f["revisions"][-1]["content"], {"Content-Type": f["mimeType"]})
        return self._resource(f)

    # -- revisions (https://developers.google.com/drive/api/reference/rest/v3/revisions) --------
    def list_revisions(self, request, file_id):
        revisions = [
            {
                "id": r["id"],
                "size": str(len(r["content"])),
                "md5Checksum": r["md5Checksum"],
                "modifiedTime": r["modifiedTime"],
                "keepForever": r["keepForever"],
            }
            for r in self._file(request, file_id, revisions=True).get("revisions", [])
        ]
        return {"kind": "drive#revisionList", "revisions": revisions}

    def _revision(self, request, file_id, revision_id) -> dict:
        for r in self._file(request, file_id, revisions=True).get("revisions", []):
            if r["id"] == revision_id:
                return r
        raise _error(404, "notFound", f"Revision not found: {revision_id}.")

    def get_revision(self, request, file_id, revision_id):
        r = self._revision(request, file_id, revision_id)
        if request.query.get("alt") == "media":
            raise Reply(200, r["content"], {"Content-Type": "application/octet-stream"})
        return {"id": r["id"], "md5Checksum": r["md5Checksum"], "keepForever": r["keepForever"]}

    def update_revision(self, request, file_id, revision_id):
        """At most 200 revisions of a file may be kept forever
        (https://developers.google.com/drive/api/guides/manage-revisions). The page does not say
        how the 201st is refused: this fake takes the harsher reading, a permanent 403."""
        revision = self._revision(request, file_id, revision_id)
        keep = json.loads(request.body or b"{}").get("keepForever")
        kept = [r for r in self.files[file_id]["revisions"] if r["keepForever"]]
        if keep and not revision["keepForever"] and len(kept) >= MAX_KEPT_FOREVER:
            raise _error(
                403,
                "forbidden",
                f"This file already has {MAX_KEPT_FOREVER} revisions kept forever.",
            )
        if keep is not None:
            revision["keepForever"] = bool(keep)
        return {"id": revision["id"], "keepForever": revision["keepForever"]}

    def delete_revision(self, request, file_id, revision_id):
        """The last remaining revision cannot be deleted (revisions.delete reference)."""
        f = self._file(request, file_id, revisions=True)
        revision = self._revision(request, file_id, revision_id)
        if len(f["revisions"]) == 1:
            raise _error(403, "cannotDeleteLastRevision", "The last revision cannot be deleted.")
        f["revisions"].remove(revision)
        raise Reply(204, None)

    # -- resumable uploads (https://developers.google.com/drive/api/guides/manage-uploads) -----
    def start_upload(self, request, file_id=None):
        if request.query.get("uploadType") != "resumable":
            raise _error(400, "badRequest", "only resumable uploads are supported by this fake")
        meta = json.loads(request.body or b"{}")
        if file_id is not None:
            self._writable(self._file(request, file_id)["id"])
        else:
            self._writable(self._file(request, meta.get("parents", ["root"])[0])["id"])
        session = f"s{next(_ids)}"
        self.sessions[session] = {
            "file_id": file_id,
            "meta": meta,
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
            parent = self.files[meta.get("parents", ["root"])[0]]
            file_id = f"f{next(_ids)}"
            self.files[file_id] = {
                "id": file_id,
                "name": meta["name"],
                "mimeType": meta.get("mimeType") or session["mime"],
                "parents": [parent["id"]],
                "driveId": parent.get("driveId"),
                "createdTime": _created(),
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
