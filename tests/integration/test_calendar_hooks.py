"""``test_connection()`` of both hooks says what works and what to fix, in words a human acts on."""

import pytest

from tests.fakes.graph_fixtures import MAILBOX

pytestmark = pytest.mark.integration


def test_google_connection_test_reports_success_and_revocation(google_conn, google_fake):
    from ponton.hooks.google_calendar import GoogleCalendarHook

    assert GoogleCalendarHook(google_calendar_conn_id=google_conn).test_connection()[0] is True
    google_fake.revoke("refresh-ok")
    ok, message = GoogleCalendarHook(google_calendar_conn_id=google_conn).test_connection()
    assert not ok and "re-authorisation" in message and "google-oauth.md" in message


def test_outlook_connection_test_reports_success_and_a_bad_secret(
    outlook_conn, graph_fake, monkeypatch
):
    import json
    import os

    from ponton.hooks.outlook_calendar import OutlookCalendarHook

    conn = json.loads(os.environ["AIRFLOW_CONN_OUTLOOK_TEST"])
    conn["extra"]["mailbox"] = MAILBOX
    monkeypatch.setenv("AIRFLOW_CONN_OUTLOOK_TEST", json.dumps(conn))
    ok, message = OutlookCalendarHook(outlook_conn_id=outlook_conn).test_connection()
    assert ok and MAILBOX in message
    graph_fake.client_secret = "rotated"
    ok, message = OutlookCalendarHook(outlook_conn_id=outlook_conn).test_connection()
    assert not ok and "re-authorisation" in message


def test_outlook_connection_without_tenant_is_a_config_error(monkeypatch):
    import json

    from ponton.errors import ConfigError
    from ponton.hooks.outlook_calendar import OutlookCalendarHook

    monkeypatch.setenv(
        "AIRFLOW_CONN_OUTLOOK_BAD",
        json.dumps({"conn_type": "ponton_outlook_calendar", "login": "app", "password": "s"}),
    )
    with pytest.raises(ConfigError, match="tenant_id"):
        OutlookCalendarHook(outlook_conn_id="outlook_bad", calendar_id=MAILBOX).get_conn().find("x")
