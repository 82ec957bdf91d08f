"""The egress guard: every IPv4-embedding IPv6 form is unwrapped, CalDAV and ICS feeds are both
guarded, redirects are checked again, and no message shows a secret of a URL."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from werkzeug.wrappers import Response

from ponton.calendars.backends.caldav import CalDavCalendar
from ponton.ics.feeds import FeedOptions, fetch_feed
from ponton.net.egress import EgressPolicy, EgressRefused, is_public, redact
from tests.fakes.loopback import LoopbackServer
from tests.fakes.radicale_server import RadicaleServer

pytestmark = pytest.mark.integration

METADATA_FORMS = [
    "169.254.169.254",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::169.254.169.254",  # IPv4-compatible
    "64:ff9b::a9fe:a9fe",  # NAT64 (RFC 6052)
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 (RFC 8215)
    "2002:a9fe:a9fe::1",  # 6to4
    "2001:0:4136:e378:8000:63bf:56ab:5601",  # Teredo whose client is 169.254.169.254
]
PRIVATE = [
    "127.0.0.1",
    "10.1.2.3",
    "192.168.1.1",
    "100.64.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "0.0.0.0",
    "::",
]
PUBLIC = ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("address", METADATA_FORMS + PRIVATE)
def test_non_public_addresses_in_every_form_are_refused(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass_even_when_wrapped(address):
    assert is_public(address)


@pytest.mark.parametrize(
    "address", ["169.254.169.254", "[64:ff9b::a9fe:a9fe]", "[2002:a9fe:a9fe::1]"]
)
def test_a_caldav_binding_to_the_metadata_address_never_connects(address):
    with pytest.raises(EgressRefused, match="allow_hosts"):
        CalDavCalendar.connect(f"https://{address}/dav/", username="u", password="p")


def test_plain_http_caldav_to_loopback_needs_the_allow_list():
    with RadicaleServer() as radicale, pytest.raises(EgressRefused, match="allow_hosts"):
        CalDavCalendar.connect(radicale.url, username="ana", password="x")


class RedirectTo(LoopbackServer):
    """Answers every request with a redirect to ``target`` (and counts requests)."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def handle(self, request):
        return Response(status=302, headers={"Location": self.target})


def test_a_caldav_redirect_to_the_metadata_address_is_not_followed():
    with (
        RedirectTo("https://169.254.169.254/latest/meta-data/") as server,
        pytest.raises(EgressRefused, match=r"169\.254\.169\.254"),
    ):
        CalDavCalendar.connect(
            server.url, username="u", password="p", egress=EgressPolicy(("127.0.0.1",))
        )


def test_an_ics_redirect_to_an_unlisted_loopback_address_is_refused():
    with (
        RedirectTo("http://127.0.0.2:9/feed.ics") as server,
        pytest.raises(EgressRefused, match=r"127\.0\.0\.2"),
    ):
        fetch_feed(f"{server.url}/f.ics", options=FeedOptions(allow_hosts=("127.0.0.1",)))


def test_plain_http_to_an_allow_listed_network_passes_the_check():
    EgressPolicy(allow_hosts=("127.0.0.0/8",)).check_url("http://127.0.0.1:1/x", what="feed")


SECRET = "SeCrEt-123"


@pytest.mark.parametrize(
    "source",
    [
        f"htps://h/feed.ics?token={SECRET}",
        f"webcal://h/{SECRET}/basic.ics",
        f"ftp://user:{SECRET}@h/x",
        f"https://h/x#{SECRET}",
        f"/var/feeds/x.ics?token={SECRET}",
        f"file:///srv/{SECRET}/x.ics",
    ],
)
def test_redact_never_shows_a_secret(source):
    assert SECRET not in redact(source)


@given(
    scheme=st.from_regex(r"[a-z][a-z0-9+.-]{0,8}", fullmatch=True),
    path=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
)
@example(scheme="htps", path="feed.ics?token=")
def test_redact_of_any_url_shows_scheme_and_host_only(scheme, path):
    shown = redact(f"{scheme}://host.example/{path}{SECRET}")
    assert SECRET not in shown
