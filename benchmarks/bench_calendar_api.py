"""Requests the calendar API adapters make, counted at the loopback fakes (tests/fakes/).

* requests per changed event when pushing 1,000 changes (400 creates, 400 updates, 200 deletes)
  to a calendar already holding 600 events: goal <= 0.05 with batching, both providers. Token
  endpoint calls are reported apart (a handful per run, cached by the credential libraries).
* an unchanged rerun (incremental listing with the last cursor, nothing to write): goal 0 writes
  and 1 list call per calendar.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import ExitStack

from benchmarks import Figure, at_most
from ponton.sync.port import RemoteWrite

CHANGES = {"create": 400, "update": 400, "delete": 200}
SEEDED = 600


def _event(uid: str, summary: str = "Chantier"):
    from tests.contract.remote_calendar import sample_event

    return sample_event(uid, summary=summary)


def _workload(calendar) -> list[RemoteWrite]:
    """Seed the calendar, then return the 1,000 changes to push."""
    seeded = calendar.apply_writes(
        [RemoteWrite("create", f"s-{i}@p", event=_event(f"s-{i}@p")) for i in range(SEEDED)]
    )
    remotes = [r.remote for r in seeded]
    writes = [
        RemoteWrite("create", f"n-{i}@p", event=_event(f"n-{i}@p"))
        for i in range(CHANGES["create"])
    ]
    writes += [
        RemoteWrite(
            "update",
            r.platform_uid,
            event=_event(r.platform_uid, "Déplacé"),
            remote_id=r.remote_id,
            etag=r.etag,
        )
        for r in remotes[: CHANGES["update"]]
    ]
    writes += [
        RemoteWrite("delete", r.platform_uid, remote_id=r.remote_id, etag=r.etag)
        for r in remotes[CHANGES["update"] : CHANGES["update"] + CHANGES["delete"]]
    ]
    return writes


def _measure(
    name: str, fake, calendar, api_prefixes: tuple[str, ...], token_paths: tuple[str, ...]
) -> list[Figure]:
    from tests.contract.remote_calendar import WINDOW

    writes = _workload(calendar)
    before = len(fake.requests)
    results = calendar.apply_writes(writes)
    if any(r.error for r in results):
        raise RuntimeError(f"{name}: {[str(r.error) for r in results if r.error][:2]}")
    pushed = fake.requests[before:]
    api_calls = [r for r in pushed if r[1].startswith(api_prefixes)]
    cursor = calendar.list_changes(None, *WINDOW).cursor
    before = len(fake.requests)
    calendar.list_changes(cursor, *WINDOW)
    rerun = fake.requests[before:]
    token_calls = sum(1 for _, path in fake.requests if path.endswith(token_paths))
    return [
        at_most(
            f"{name}: requests per changed event (1,000 changes)",
            len(api_calls) / len(writes),
            0.05,
        ),
        at_most(f"{name}: token endpoint calls in the whole run", token_calls, 3),
        at_most(f"{name}: writes on an unchanged rerun", sum(1 for m, _ in rerun if m != "GET"), 0),
        at_most(
            f"{name}: list calls on an unchanged rerun", sum(1 for m, _ in rerun if m == "GET"), 1
        ),
    ]


def run() -> list[Figure]:
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ponton-bench-airflow-"))
    import trustme

    from tests.fakes.google_calendar import FakeGoogleCalendar
    from tests.fakes.graph import FakeGraph

    figures: list[Figure] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        google = stack.enter_context(FakeGoogleCalendar())
        os.environ["AIRFLOW_CONN_BENCH_GOOGLE"] = json.dumps(
            {
                "conn_type": "ponton_google_calendar",
                "login": "client",
                "password": "secret",
                "extra": {
                    "refresh_token": "r",
                    "api_endpoint": google.url,
                    "token_uri": f"{google.url}/token",
                },
            }
        )
        from ponton.hooks.google_calendar import GoogleCalendarHook

        calendar = GoogleCalendarHook(
            google_calendar_conn_id="bench_google", calendar_id="bench@example.com"
        ).get_conn()
        figures += _measure("google", google, calendar, ("/calendars/", "/batch/"), ("/token",))

        ca = trustme.CA()
        bundle = f"{tmp}/ca.pem"
        ca.cert_pem.write_to_path(bundle)
        os.environ["REQUESTS_CA_BUNDLE"] = bundle
        graph = stack.enter_context(
            FakeGraph(ca.issue_cert("127.0.0.1"), client_id="app", client_secret="s", page_size=100)
        )
        os.environ["AIRFLOW_CONN_BENCH_OUTLOOK"] = json.dumps(
            {
                "conn_type": "ponton_outlook_calendar",
                "login": "app",
                "password": "s",
                "extra": {
                    "tenant_id": "t",
                    "authority_host": graph.url,
                    "base_url": graph.graph_url,
                },
            }
        )
        from ponton.hooks.outlook_calendar import OutlookCalendarHook

        calendar = OutlookCalendarHook(
            outlook_conn_id="bench_outlook", calendar_id="bench@contoso.example"
        ).get_conn()
        figures += _measure(
            "outlook", graph, calendar, ("/v1.0/",), ("/token", "openid-configuration")
        )
    return figures
