"""The transport half of the Google Calendar fake: the OAuth token endpoint (400 ``invalid_grant``
for a revoked refresh token, https://developers.google.com/identity/protocols/oauth2/web-server)
and multipart/mixed batches at ``/batch/calendar/v3``, each part served as its own call
(https://developers.google.com/calendar/api/guides/batch)."""

from __future__ import annotations

import json
import secrets
import uuid
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import unquote, urlsplit

from werkzeug.wrappers import Request, Response

from tests.fakes.loopback import json_response


class GoogleTransport:
    """Mixed into the fake: needs ``access_tokens``, ``revoked_refresh_tokens`` and ``serve``."""

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            return json_response(400, {}, {"error": "unsupported_grant_type"})
        if form["refresh_token"] in self.revoked_refresh_tokens:
            return json_response(
                400,
                {},
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        token = secrets.token_urlsafe(16)
        self.access_tokens.add(token)
        return json_response(
            200, {}, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        )

    def _batch(self, request: Request) -> Response:
        content_type = request.headers.get("Content-Type", "")
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + request.get_data()
        )
        boundary = f"batch_{uuid.uuid4().hex}"
        chunks = []
        for part in message.iter_parts():
            raw = part.get_payload(decode=True)
            head, _, body = raw.partition(b"\r\n\r\n")
            if not _:
                head, _, body = raw.partition(b"\n\n")
            lines = head.decode().splitlines()
            method, target, _version = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            headers.setdefault("Authorization", request.headers.get("Authorization", ""))
            split = urlsplit(target)
            status, extra, payload = self.serve(
                method, unquote(split.path), split.query, headers, body
            )
            reply = [f"HTTP/1.1 {status} {'OK' if status < 300 else 'Error'}"]
            reply += [f"{k}: {v}" for k, v in extra.items()]
            text = "" if payload is None else json.dumps(payload)
            if payload is not None:
                reply.append("Content-Type: application/json; charset=UTF-8")
            reply.append(f"Content-Length: {len(text.encode())}")
            content_id = part["Content-ID"].strip("<>")
            chunks.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{content_id}>\r\n\r\n"
                + "\r\n".join(reply)
                + f"\r\n\r\n{text}\r\n"
            )
        body = "".join(chunks) + f"--{boundary}--\r\n"
        return Response(body, 200, content_type=f"multipart/mixed; boundary={boundary}")
