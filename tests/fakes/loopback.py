"""What the loopback HTTP fakes share: a threaded werkzeug server on a free port, a request log
(benchmarks count requests at the fake) and scriptable failures (429 storms, 5xx)."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


def json_response(status: int, headers: dict, body) -> Response:
    """A JSON answer, or an empty one when ``body`` is None (204)."""
    if body is None:
        return Response(status=status, headers=headers)
    return Response(json.dumps(body), status, headers, content_type="application/json")


@dataclass
class Failure:
    """Answer the next ``times`` matching requests with ``status`` instead of serving them."""

    status: int
    times: int
    retry_after: str | None = None
    body: dict | None = None
    match: Callable[[str, str], bool] = field(default=lambda method, path: True)


class LoopbackServer:
    """Base of the fakes: subclasses implement ``route(method, path, request) -> Response``."""

    def __init__(self, ssl_context=None) -> None:
        self.requests: list[tuple[str, str]] = []  # every HTTP request, batch parts counted apart
        self.failures: list[Failure] = []
        self._lock = threading.RLock()
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, ssl_context=ssl_context
        )
        scheme = "https" if ssl_context else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, status: int, times: int = 1, **kwargs) -> None:
        with self._lock:
            self.failures.append(Failure(status, times, **kwargs))

    def scripted_failure(self, method: str, path: str) -> Failure | None:
        with self._lock:
            for failure in self.failures:
                if failure.times > 0 and failure.match(method, path):
                    failure.times -= 1
                    return failure
        return None

    def count(self, method: str | None = None, prefix: str = "") -> int:
        return sum(
            1 for m, p in self.requests if (method is None or m == method) and p.startswith(prefix)
        )

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.requests.append((request.method, request.path))
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError


@dataclass
class ApiRequest:
    """What a routed fake's handler reads: plain values, headers lower-cased."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class ApiResponse:
    status: int = 200
    body: object = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


class RoutedLoopbackServer(LoopbackServer):
    """A fake declared as ``routes()``: (method, path regex, handler(request, **groups))."""

    def routes(self) -> list[tuple[str, re.Pattern, Callable[..., ApiResponse]]]:
        raise NotImplementedError

    def handle(self, request: Request) -> Response:
        api_request = ApiRequest(
            request.method,
            request.path,
            request.args.to_dict(),
            {k.lower(): v for k, v in request.headers.items()},
            request.get_data(),
        )
        answer = ApiResponse(404, {"error": f"no route {request.method} {request.path}"})
        for method, pattern, handler in self.routes():
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                answer = handler(api_request, **match.groupdict())
                break
        if isinstance(answer.body, bytes):
            return Response(answer.body, answer.status, answer.headers)
        return json_response(answer.status, answer.headers, answer.body)


def unused_port() -> int:
    """A loopback port nothing listens on (for "peer unreachable" tests)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
