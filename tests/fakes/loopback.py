"""A small threaded HTTP server on 127.0.0.1 that routes requests to a fake's methods, so fakes of
vendor APIs are driven through the vendors' own client libraries over real sockets."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes
    headers: dict[str, str] = field(default_factory=dict)


Route = tuple[str, re.Pattern, Callable[..., Response]]


class LoopbackAPI:
    """Subclasses list ``routes`` as (method, path regex, handler(request, **groups))."""

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def __init__(self) -> None:
        self.requests: list[Request] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                request = Request(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                api.requests.append(request)
                response = api.dispatch(request)
                payload = response.body
                if not isinstance(payload, bytes):
                    payload = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(response.status)
                headers = {"Content-Type": "application/json"} | response.headers
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def dispatch(self, request: Request) -> Response:
        for method, pattern, handler in self.routes():
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return handler(request, **match.groupdict())
        return Response(404, {"error": f"no route {request.method} {request.path}"})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def unused_port() -> int:
    """A loopback port nothing listens on (for "provider unreachable" tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
