"""Fixtures wiring the Graph fake (HTTPS, throw-away CA): a backend built directly on an
azure-identity credential (no Airflow), and a ``ponton_outlook_calendar`` connection for the
hook path."""

import json

import pytest
import trustme

from tests.fakes.graph import FakeGraph

MAILBOX = "planner@contoso.example"
SECRET = "client-secret-1"


@pytest.fixture(scope="session")
def graph_ca():
    return trustme.CA()


@pytest.fixture
def graph_fake(graph_ca, tmp_path, monkeypatch):
    bundle = tmp_path / "ca.pem"
    graph_ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with FakeGraph(
        graph_ca.issue_cert("127.0.0.1"), client_id="app-1", client_secret=SECRET, page_size=3
    ) as fake:
        yield fake


@pytest.fixture
def outlook_conn(graph_fake, monkeypatch):
    conn = {
        "conn_type": "ponton_outlook_calendar",
        "login": "app-1",
        "password": SECRET,
        "extra": {
            "tenant_id": "tenant-1",
            "authority_host": graph_fake.url,
            "base_url": graph_fake.graph_url,
        },
    }
    monkeypatch.setenv("AIRFLOW_CONN_OUTLOOK_TEST", json.dumps(conn))
    return "outlook_test"


def outlook_backend_for(fake: FakeGraph, calendar: str = MAILBOX, **options):
    """The backend as any caller builds it: a Graph session on a client-secret credential."""
    from azure.identity import ClientSecretCredential

    from ponton.calendars.backends.graph import GraphSession
    from ponton.calendars.backends.outlook import OutlookCalendarBackend, OutlookCalendarOptions
    from ponton.retry import RetryPolicy

    credential = ClientSecretCredential(
        "tenant-1", "app-1", SECRET, authority=fake.url, disable_instance_discovery=True
    )
    session = GraphSession(
        fake.graph_url,
        lambda: credential.get_token(f"{fake.url}/.default").token,
        conn_id="outlook-direct",
        retry=RetryPolicy(max_seconds=0.2),
    )
    return OutlookCalendarBackend(
        session=session, options=OutlookCalendarOptions(calendar=calendar, **options)
    )


@pytest.fixture
def outlook_backend(graph_fake):
    return outlook_backend_for(graph_fake)


@pytest.fixture
def outlook_calendar(outlook_conn):
    """The same mailbox through the hook (what the DAGs do)."""
    from ponton.hooks.outlook_calendar import OutlookCalendarHook

    hook = OutlookCalendarHook(
        outlook_conn_id=outlook_conn, calendar_id=MAILBOX, options={"retry_max_seconds": 0.2}
    )
    return hook.get_conn()
