"""The egress guard: every URL ponton opens on a user's behalf (ICS feeds, CalDAV servers) must
lead to public addresses only, unless an operator allow-listed the host.

A URL's host is resolved and *every* address it resolves to is checked with :mod:`ipaddress`:
loopback, link-local (cloud metadata at 169.254.169.254), private, shared (100.64/10), multicast,
reserved and unspecified addresses are refused. IPv6 forms that carry an IPv4 address are unwrapped
first and the IPv4 address must pass too: IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16`` and Teredo ``2001::/32``; local-use
NAT64 ``64:ff9b:1::/48`` is refused outright. Plain ``http://`` is refused unless the host is
allow-listed (a feed or calendar URL often is a secret). The check runs again on every redirect
target.

``allow_hosts`` entries are host names (exact, case-insensitive), IP addresses or CIDR blocks.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from ponton.errors import ConfigError, TransientError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Not global although Python 3.11's tables say so: shared address space, the AWS IPv6 metadata
# range, and local-use NAT64 (RFC 8215), whose IPv4 address is site-specific.
_BLOCKED_EXTRA = tuple(
    ipaddress.ip_network(n) for n in ("100.64.0.0/10", "fd00:ec2::/32", "64:ff9b:1::/48")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class EgressRefused(ConfigError):
    """A URL leads to an address the guard does not let ponton reach."""


def redact(source: str) -> str:
    """What may be shown of a URL or path: ``scheme://host`` for anything with a scheme and a
    host (whatever the scheme, so a typo never prints a token), the file name for a path; never a
    path of a URL, a query or a fragment."""
    parts = urlsplit(source)
    if parts.scheme and (parts.netloc or "://" in source):
        try:
            host = parts.hostname or "?"
        except ValueError:
            host = "?"
        return f"{parts.scheme}://{host}"
    return f"file {Path(parts.path).name}"


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries (empty for a plain IPv6 or an IPv4)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.extend(ip.teredo)
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(address: str | IPAddress) -> bool:
    ip = ipaddress.ip_address(str(address).split("%")[0])
    return _public(ip) and all(_public(inner) for inner in embedded_ipv4(ip))


def _public(ip: IPAddress) -> bool:
    return ip.is_global and not any(
        ip in net for net in _BLOCKED_EXTRA if ip.version == net.version
    )


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """Hosts an operator trusts although they are not public (``allow_hosts``)."""

    allow_hosts: tuple[str, ...] = ()

    def allows(self, host: str, address: str | IPAddress) -> bool:
        if host.lower().rstrip(".") in {h.lower().rstrip(".") for h in self.allow_hosts}:
            return True
        ip = ipaddress.ip_address(str(address).split("%")[0])
        candidates = [ip, *embedded_ipv4(ip)]
        return any(c in network for c in candidates for network in self._networks(c.version))

    def _networks(self, version: int) -> Iterable[_Network]:
        for entry in self.allow_hosts:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if network.version == version:
                yield network

    def check_url(self, url: str, *, what: str = "URL") -> None:
        """Resolve ``url``'s host and refuse it (:class:`EgressRefused`) unless every address is
        public or allowed, and unless plain http goes to an allowed host."""
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            raise EgressRefused(f"{what} {redact(url)} points to an unsupported address")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError, ValueError):
            raise TransientError(
                f"{what} host {host} does not resolve; check the address or retry later"
            ) from None
        addresses = [str(info[4][0]).split("%")[0] for info in infos]
        for address in addresses:
            if not is_public(address) and not self.allows(host, address):
                raise EgressRefused(
                    f"{what} {redact(url)} resolves to {address}, a loopback, private or "
                    "metadata address; add the host to the connection's allow_hosts if it is "
                    "trusted"
                )
        if parts.scheme == "http" and not all(self.allows(host, a) for a in addresses):
            raise EgressRefused(
                f"{what} {redact(url)} uses plain http, which would expose its address and "
                "credentials; use https:// (or allow-list the host)"
            )

    def guard_session(self, session: Any, *, what: str) -> Any:
        """Make a requests-compatible session (requests, niquests) check every redirect target
        before following it."""

        def check_redirect(response: Any, *_args: Any, **_kwargs: Any) -> Any:
            location = response.headers.get("Location")
            if response.is_redirect and location:
                self.check_url(urljoin(str(response.url), location), what=what)
            return response

        session.hooks.setdefault("response", []).append(check_redirect)
        return session
