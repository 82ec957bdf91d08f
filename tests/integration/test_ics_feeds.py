"""Feed fetching against a loopback HTTP server: conditional GET, caps, redirects, SSRF guard,
and the secret URL never surfacing."""

import logging

import pytest

from ponton.errors import ConfigError, InvalidInputError, ThrottledError, TransientError
from ponton.ics.feeds import FeedOptions, fetch_feed, redact
from tests.fakes.ics_server import IcsServer

pytestmark = pytest.mark.integration
LOOPBACK = FeedOptions(allow_hosts=("127.0.0.1",))
BODY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nEND:VCALENDAR\r\n"
SECRET = "/calendar/ical/ana%40example.com/private-0123456789abcdef/basic.ics"


@pytest.fixture(scope="module")
def server():
    with IcsServer() as running:
        yield running


def test_conditional_get_uses_etag_then_last_modified(server):
    url = server.publish("/cond.ics", BODY)
    first = fetch_feed(url, options=LOOPBACK)
    assert first.changed and first.body == BODY and first.etag
    assert not fetch_feed(url, etag=first.etag, options=LOOPBACK).changed
    assert not fetch_feed(url, last_modified=first.last_modified, options=LOOPBACK).changed
    server.publish("/cond.ics", BODY + b"\r\n")
    assert fetch_feed(url, etag=first.etag, options=LOOPBACK).changed


def test_loopback_is_refused_unless_allow_listed(server):
    url = server.publish("/private.ics", BODY)
    with pytest.raises(ConfigError, match="allow_hosts"):
        fetch_feed(url)
    assert fetch_feed(url, options=FeedOptions(allow_hosts=("127.0.0.0/8",))).changed


@pytest.mark.parametrize(
    "url",
    ["https://169.254.169.254/latest/meta-data", "https://10.0.0.8/x.ics", "https://[::1]/x.ics"],
)
def test_metadata_private_and_loopback_addresses_are_blocked(url):
    with pytest.raises(ConfigError, match="loopback, private or metadata"):
        fetch_feed(url)


def test_every_redirect_hop_is_checked_and_hops_are_bounded(server):
    final = server.publish("/final.ics", BODY)
    hop = server.answer("/hop", 302, location=final)
    assert fetch_feed(hop, options=LOOPBACK).body == BODY
    escape = server.answer("/escape", 302, location="https://169.254.169.254/latest/")
    with pytest.raises(ConfigError, match="metadata"):
        fetch_feed(escape, options=LOOPBACK)
    server.answer("/loop", 302, location="/loop")
    with pytest.raises(ConfigError, match="redirected more than 2 times"):
        fetch_feed(server.url("/loop"), options=FeedOptions(("127.0.0.1",), max_redirects=2))


def test_size_cap_stops_the_download(server):
    url = server.publish("/big.ics", BODY * 100)
    with pytest.raises(InvalidInputError, match="byte limit"):
        fetch_feed(url, options=FeedOptions(("127.0.0.1",), max_bytes=100))


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (403, ConfigError, "secret address may have been reset"),
        (404, ConfigError, "HTTP 404"),
        (429, ThrottledError, "slow down"),
        (503, TransientError, "server side"),
    ],
)
def test_status_codes_become_ponton_errors_without_the_secret(server, status, error, words):
    url = server.answer(SECRET, status)
    with pytest.raises(error, match=words) as caught:
        fetch_feed(url, options=LOOPBACK)
    assert "private-0123456789abcdef" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_unreachable_feed_is_transient_and_redacted(caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TransientError) as caught:
        fetch_feed("http://127.0.0.1:9" + SECRET, options=LOOPBACK)
    assert "private-0123456789abcdef" not in str(caught.value)
    assert caught.value.__suppress_context__  # the vendor error (with the URL) is not chained
    assert "private-0123456789abcdef" not in caplog.text


def test_plain_http_to_a_public_host_is_refused():
    with pytest.raises(ConfigError, match="plain http"):
        fetch_feed("http://1.1.1.1/feed.ics")


def test_file_source_reports_unchanged_by_mtime_and_size(tmp_path):
    path = tmp_path / "feed.ics"
    path.write_bytes(BODY)
    first = fetch_feed(str(path))
    assert first.changed and not fetch_feed(str(path), etag=first.etag).changed
    with pytest.raises(ConfigError, match="cannot be read"):
        fetch_feed(str(tmp_path / "missing.ics"))


def test_redact_keeps_scheme_and_host_only():
    assert redact("webcal://p.example.com/x/secret.ics?token=1") == "webcal://p.example.com"
    assert redact("/srv/feeds/ana.ics") == "file ana.ics"


def test_debug_logging_never_shows_the_secret_path(server, caplog):
    caplog.set_level(logging.DEBUG)
    url = server.publish("/logged" + SECRET, BODY)
    assert fetch_feed(url, options=LOOPBACK).changed
    assert "private-0123456789abcdef" not in caplog.text
