"""Fixtures wiring the Graph fake (HTTPS, throw-away CA) to a ``ponton_outlook_calendar``
connection authenticated by azure-identity against the fake's token endpoint."""

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


@pytest.fixture
def outlook_calendar(outlook_conn):
    from ponton.hooks.outlook_calendar import OutlookCalendarHook

    return OutlookCalendarHook(outlook_conn_id=outlook_conn).calendar(
        MAILBOX, {"retry_max_seconds": 0.2}
    )
