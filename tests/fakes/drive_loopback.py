"""A tiny loopback HTTP(S) server the provider fakes build on: routing, JSON, injected failures.

TLS uses a throw-away CA from ``trustme``: google-api-python-client sends media uploads to
``https://`` whatever the endpoint override says, so the Drive fake must speak TLS.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Reply(Exception):
    """Raised by a route to answer with ``status`` and a JSON (or raw) body."""

    def __init__(self, status: int, body=None, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


class LoopbackServer:
    """Subclasses define ``routes``: ``[(method, regex, handler_name)]``; a handler gets
    ``(request, *groups)`` and returns a JSON-able body or raises :class:`Reply`."""

    routes: list[tuple[str, str, str]] = []

    def __init__(self, tls_dir=None) -> None:
        self.failures: deque[tuple[int, dict, dict]] = deque()  # (status, body, headers)
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.RLock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _dispatch(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                fake.requests.append((self.command, parts.path))
                try:
                    if fake.failures:
                        status, body, headers = fake.failures.popleft()
                        raise Reply(status, body, headers)
                    fake.authorize(self, parts.path)
                    for method, pattern, name in fake.routes:
                        match = re.fullmatch(pattern, parts.path)
                        if method == self.command and match:
                            with fake.lock:
                                result = getattr(fake, name)(self, *match.groups())
                            raise Reply(200, result)
                    raise Reply(404, {"error": {"code": 404, "message": f"no route {parts.path}"}})
                except Reply as reply:
                    self._send(reply)

            def _send(self, reply: Reply):
                body = reply.body
                raw = (
                    body
                    if isinstance(body, bytes)
                    else b""
                    if body is None
                    else json.dumps(body).encode()
                )
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json"} | reply.headers
                for key, value in headers.items():
                    self.send_header(key, str(value))
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Clients keep HTTP/1.1 connections open: do not wait for them when the fake stops.
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.scheme = "http"
        self.ca_file = None
        if tls_dir is not None:
            import trustme

            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.ca_file = str(tls_dir / "fake-ca.pem")
            ca.cert_pem.write_to_path(self.ca_file)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def authorize(self, request, path: str) -> None:
        """Subclasses check the request's credentials here (raise :class:`Reply` to refuse)."""

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def fail_next(self, status: int, body: dict | None = None, headers: dict | None = None):
        """The next request gets this answer instead of being served."""
        self.failures.append((status, body or {}, headers or {}))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
