"""Fixtures wiring the Google Calendar fake to a ``ponton_google_calendar`` connection."""

import json

import pytest

from tests.fakes.google_calendar import FakeGoogleCalendar

CALENDAR = "planning@example.com"


@pytest.fixture
def google_fake():
    with FakeGoogleCalendar(page_size=3) as fake:
        yield fake


@pytest.fixture
def google_conn(google_fake, monkeypatch):
    """An OAuth refresh-token connection whose endpoint and token URI are the fake."""
    extra = {
        "refresh_token": "refresh-ok",
        "api_endpoint": google_fake.url,
        "token_uri": f"{google_fake.url}/token",
    }
    conn = {
        "conn_type": "ponton_google_calendar",
        "login": "client-id",
        "password": "client-secret",
        "extra": extra,
    }
    monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_CALENDAR_TEST", json.dumps(conn))
    return "google_calendar_test"


@pytest.fixture
def google_calendar(google_conn):
    from ponton.hooks.google_calendar import GoogleCalendarHook

    hook = GoogleCalendarHook(google_calendar_conn_id=google_conn)
    return hook.calendar(CALENDAR, {"retry_max_seconds": 0.2})
