"""Fetch an ICS feed from a file path or an ``https://`` / ``webcal://`` URL, politely and safely.

* Conditional GET (If-None-Match / If-Modified-Since): an unchanged feed costs one 304.
* Bounded: connect/read timeout, a total deadline, a size cap, at most ``max_redirects`` hops.
* SSRF guard: every hop goes through :class:`ponton.net.egress.EgressPolicy` (public addresses
  only, unless the binding allow-lists the host in ``allow_hosts``).
* A private feed URL is a secret (Google's "secret address in iCal format"): messages, logs and
  exceptions only ever show :func:`redact` (scheme and host); vendor exceptions are not chained.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from ponton.errors import ConfigError, InvalidInputError, ThrottledError, TransientError
from ponton.files import open_regular_file, read_capped
from ponton.ics.limits import Limits
from ponton.net.egress import EgressPolicy, redact

log = logging.getLogger(__name__)


def _hide_request_lines(record: logging.LogRecord) -> bool:
    """urllib3 logs each request line (with the secret path) at DEBUG: keep those out."""
    return record.levelno > logging.DEBUG


logging.getLogger("urllib3.connectionpool").addFilter(_hide_request_lines)
USER_AGENT = "ponton-ics/1.0 (+https://github.com/ponton)"
__all__ = ["FeedOptions", "FeedResult", "fetch_feed", "redact"]


@dataclass(frozen=True, slots=True)
class FeedOptions:
    """How a binding may fetch its feed (from the connection's extras)."""

    allow_hosts: tuple[str, ...] = ()
    timeout: float = 20.0
    max_bytes: int = Limits().max_bytes
    max_redirects: int = 5
    #: Seconds between two fetches, replacing the feed's own hint (REFRESH-INTERVAL /
    #: X-PUBLISHED-TTL); None honours the hint, 0 fetches on every run.
    refresh_interval: float | None = None

    @property
    def egress(self) -> EgressPolicy:
        return EgressPolicy(allow_hosts=self.allow_hosts)


@dataclass(frozen=True, slots=True)
class FeedResult:
    """``changed`` False: the server (or the file's mtime) says nothing changed, ``body`` is None.

    ``etag`` and ``last_modified`` are the validators to send next time."""

    changed: bool
    body: bytes | None = field(default=None, repr=False)
    etag: str | None = None
    last_modified: str | None = None


def fetch_feed(
    source: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    options: FeedOptions = FeedOptions(),
    session: requests.Session | None = None,
) -> FeedResult:
    """Fetch ``source`` unless it is unchanged since ``etag`` / ``last_modified``."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("", "file") or len(scheme) == 1:  # a path (or a Windows drive letter)
        return _read_file(source, etag, options)
    if scheme in ("webcal", "webcals"):
        source = "https" + source[len(scheme) :]
    elif scheme not in ("http", "https"):
        raise ConfigError(
            f"feed source {redact(source)!r} uses {scheme}://; use a file path, https:// or "
            "webcal://"
        )
    return _HttpFetch(options, session or requests.Session()).get(source, etag, last_modified)


def _read_file(source: str, etag: str | None, options: FeedOptions) -> FeedResult:
    path = Path(urlsplit(source).path if source.startswith("file:") else source).expanduser()
    handle, info = open_regular_file(path, what="feed file")
    with handle:
        version = f'"{info.st_mtime_ns:x}-{info.st_size:x}"'
        if etag == version:
            return FeedResult(changed=False, etag=version)
        body = read_capped(handle, path, max_bytes=options.max_bytes, what="feed file")
    return FeedResult(changed=True, body=body, etag=version)


class _HttpFetch:
    def __init__(self, options: FeedOptions, session: requests.Session) -> None:
        self.options = options
        self.session = session

    def get(self, url: str, etag: str | None, last_modified: str | None) -> FeedResult:
        headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.options.timeout
        for _hop in range(self.options.max_redirects + 1):
            self._check_target(url)
            response = self._request(url, headers)
            with response:
                if response.is_redirect or response.status_code in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location")
                    if not location:
                        raise TransientError(f"feed {redact(url)} redirected without a Location")
                    url = urljoin(url, location)
                    continue
                if response.status_code == 304:
                    log.info("feed %s unchanged (304)", redact(url))
                    return FeedResult(changed=False, etag=etag, last_modified=last_modified)
                self._raise_for_status(url, response)
                body = self._read_body(url, response, deadline)
                log.info("feed %s fetched (%d bytes)", redact(url), len(body))
                return FeedResult(
                    changed=True,
                    body=body,
                    etag=response.headers.get("ETag"),
                    last_modified=response.headers.get("Last-Modified"),
                )
        raise ConfigError(
            f"feed {redact(url)} redirected more than {self.options.max_redirects} times; "
            "use the final address in the binding"
        )

    def _check_target(self, url: str) -> None:
        self.options.egress.check_url(url, what="feed")

    def _request(self, url: str, headers: dict[str, str]) -> requests.Response:
        try:
            return self.session.get(
                url,
                headers=headers,
                timeout=(min(10.0, self.options.timeout), self.options.timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.RequestException as exc:
            # The vendor message carries the full URL: keep only the class name.
            raise TransientError(
                f"feed {redact(url)} unreachable ({exc.__class__.__name__}); will retry"
            ) from None

    def _raise_for_status(self, url: str, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        where = f"feed {redact(url)}"
        if status == 429:
            retry_after = response.headers.get("Retry-After", "")
            raise ThrottledError(
                f"{where} asked to slow down (HTTP 429)",
                retry_after=float(retry_after) if retry_after.isdigit() else None,
            )
        if status >= 500:
            raise TransientError(f"{where} failed on the server side (HTTP {status}); will retry")
        if status in (401, 403):
            raise ConfigError(
                f"{where} refused access (HTTP {status}); the secret address may have been "
                "reset: copy the new one into the connection"
            )
        raise ConfigError(
            f"{where} answered HTTP {status}; check the address in the binding's connection"
        )

    def _read_body(self, url: str, response: requests.Response, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.options.max_bytes:
            raise InvalidInputError(
                f"feed {redact(url)} is {declared} bytes, over the "
                f"{self.options.max_bytes}-byte limit; raise max_bytes if it is genuine"
            )
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.options.max_bytes:
                    raise InvalidInputError(
                        f"feed {redact(url)} is over the {self.options.max_bytes}-byte limit; "
                        "raise max_bytes if it is genuine"
                    )
                if time.monotonic() > deadline:
                    raise TransientError(
                        f"feed {redact(url)} took longer than {self.options.timeout}s to download"
                    )
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise TransientError(
                f"feed {redact(url)} download broke off ({exc.__class__.__name__}); will retry"
            ) from None
        return b"".join(chunks)
