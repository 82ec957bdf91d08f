"""Fixtures wiring the Google Calendar fake: a backend built directly from OAuth credentials (no
Airflow), and a ``ponton_google_calendar`` connection for the hook path."""

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


def google_backend_for(fake: FakeGoogleCalendar, calendar_id: str = CALENDAR, **options):
    """The backend as any caller builds it: a discovery client on OAuth credentials + options."""
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build

    from ponton.calendars.backends.google import GoogleCalendarBackend, GoogleCalendarOptions
    from ponton.retry import RetryPolicy

    credentials = Credentials(
        None,
        refresh_token="refresh-ok",
        client_id="client-id",
        client_secret="client-secret",
        token_uri=f"{fake.url}/token",
    )
    service = build(
        "calendar",
        "v3",
        credentials=credentials,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": fake.url},
    )
    chosen = {"retry": RetryPolicy(max_seconds=0.2)} | options
    return GoogleCalendarBackend(
        service=service,
        options=GoogleCalendarOptions(
            calendar_id=calendar_id,
            conn_id="google-direct",
            batch_uri=f"{fake.url}/batch/calendar/v3",
            **chosen,
        ),
    )


@pytest.fixture
def google_backend(google_fake):
    return google_backend_for(google_fake)


@pytest.fixture
def google_calendar(google_conn):
    """The same calendar through the hook (what the DAGs do)."""
    from ponton.hooks.google_calendar import GoogleCalendarHook

    hook = GoogleCalendarHook(
        google_calendar_conn_id=google_conn,
        calendar_id=CALENDAR,
        options={"retry_max_seconds": 0.2},
    )
    return hook.get_conn()
