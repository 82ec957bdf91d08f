"""The connection forms a person fills in the Airflow UI: every type ponton reads is listed, with
a hook whose Test button works, plain-text help, booleans as check boxes, one naming scheme."""

from __future__ import annotations

import json

import pytest

from ponton.config import USED_BY, connection_types
from ponton.hooks.caldav_account import CalDavHook
from ponton.hooks.ics_feed import IcsFeedHook
from ponton.provider import get_provider_info
from tests.fakes.ics_server import IcsServer
from tests.fakes.radicale_server import RadicaleServer

pytestmark = pytest.mark.integration


def test_every_connection_type_ponton_reads_is_listed_with_a_hook():
    listed = {e["connection-type"]: e for e in get_provider_info()["connection-types"]}
    assert set(USED_BY) <= set(listed)
    assert {"ponton_ics", "ponton_caldav"} <= set(listed)
    assert all(e.get("hook-class-name") for e in listed.values())


def test_forms_speak_plainly_and_name_types_one_way():
    for entry in connection_types():
        assert entry["hook-name"].endswith(" (ponton)"), entry["hook-name"]
        for name, field in entry.get("conn-fields", {}).items():
            text = field["label"] + field.get("description", "")
            assert "`" not in text, (entry["connection-type"], name)


@pytest.mark.parametrize(
    ("conn_type", "field", "default"),
    [("ponton_s3", "allow_unversioned", False), ("ponton_smtp", "disable_ssl", False)],
)
def test_yes_no_settings_are_check_boxes(conn_type, field, default):
    [entry] = [e for e in connection_types() if e["connection-type"] == conn_type]
    schema = entry["conn-fields"][field]["schema"]
    assert schema == {"type": "boolean", "default": default}


def test_ics_connection_test_fetches_the_feed_through_the_ssrf_guard(monkeypatch):
    with IcsServer() as server:
        url = server.publish("/f/secret-token.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        monkeypatch.setenv("AIRFLOW_CONN_FEED", json.dumps({"extra": {"url": url}}))
        refused, why = IcsFeedHook(ics_conn_id="feed").test_connection()
        monkeypatch.setenv(
            "AIRFLOW_CONN_FEED", json.dumps({"extra": {"url": url, "allow_hosts": "127.0.0.1"}})
        )
        ok, message = IcsFeedHook(ics_conn_id="feed").test_connection()
    assert not refused and "secret-token" not in why
    assert ok and message.startswith("feed http://127.0.0.1 answered with")


def test_caldav_connection_test_lists_the_calendar_with_the_app_password(monkeypatch):
    import caldav

    with RadicaleServer() as server:
        client = caldav.DAVClient(server.url, username="chloe", password="x", require_tls=False)
        url = str(client.principal().make_calendar(name="Work", cal_id="work").url)
        conn = {"login": "chloe", "password": "app-password", "extra": {"calendar_url": url}}
        monkeypatch.setenv("AIRFLOW_CONN_DAV", json.dumps(conn))
        refused, why = CalDavHook(caldav_conn_id="dav").test_connection()
        conn["extra"]["allow_hosts"] = "127.0.0.1"  # loopback passes the egress guard only so
        monkeypatch.setenv("AIRFLOW_CONN_DAV", json.dumps(conn))
        assert CalDavHook(caldav_conn_id="dav").test_connection()[0] is True
    assert not refused and "allow_hosts" in why
    monkeypatch.setenv("AIRFLOW_CONN_DAV", json.dumps({"login": "chloe", "password": "app-pw"}))
    ok, message = CalDavHook(caldav_conn_id="dav").test_connection()
    assert not ok and "calendar_url" in message
