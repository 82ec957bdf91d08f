"""Requests the Outlook backend makes for single occurrences of a series, counted at the Graph
fake (tests/fakes/graph.py): HTTP requests, and Graph API calls (each ``$batch`` part apart).

* one occurrence moved on the platform, then synced (the series is paired): goal <= 2 HTTP
  requests and <= 2 API calls (one ``/instances`` lookup, one PATCH); one cancelled: the same
  (lookup, DELETE);
* 20 occurrences moved in one run: goal <= 2 API calls per occurrence and <= 0.1 HTTP requests
  per occurrence (two ``$batch`` requests in all);
* the next listing reads the changed series once; an unchanged rerun: 1 list call, 0 writes.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from benchmarks import Figure, at_most
from ponton.model import Event, moment_key
from ponton.sync.port import RemoteWrite

PARIS = ZoneInfo("Europe/Paris")
FIRST = datetime(2026, 3, 23, 9, tzinfo=PARIS)
WINDOW = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC))
UID = "weekly@bench"
MOVED = 20


def _series() -> Event:
    return Event(
        uid=UID,
        start=FIRST,
        end=FIRST + timedelta(hours=1),
        summary="Revue hebdo",
        timezone="Europe/Paris",
        recurrence=("RRULE:FREQ=WEEKLY;COUNT=40",),
    )


def _override(week: int, *, status: str = "CONFIRMED") -> RemoteWrite:
    original = FIRST + timedelta(weeks=week)
    event = replace(
        _series(),
        start=original + timedelta(hours=2),
        end=original + timedelta(hours=3),
        recurrence=(),
        recurrence_id=original,
        status=status,
    )
    return RemoteWrite("create", UID, event=event, recurrence_id=moment_key(original))


class _Counter:
    """HTTP requests to the Graph API (token endpoints left out) and API calls since a mark."""

    def __init__(self, fake) -> None:
        self.fake = fake
        self.mark()

    def mark(self) -> None:
        self.requests, self.parts = len(self.fake.requests), len(self.fake.parts)

    def http(self) -> list[tuple[str, str]]:
        return [r for r in self.fake.requests[self.requests :] if r[1].startswith("/v1.0/")]

    def calls(self) -> list[tuple[str, str]]:
        own = [r for r in self.http() if not r[1].endswith("/$batch")]
        return own + self.fake.parts[self.parts :]


def _apply(calendar, writes: list[RemoteWrite]) -> None:
    results = calendar.apply_writes(writes)
    errors = [str(r.error) for r in results if r.error]
    if errors:
        raise RuntimeError(f"outlook series: {errors[:2]}")


def run() -> list[Figure]:
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="ponton-bench-airflow-"))
    import trustme

    from tests.fakes.graph import FakeGraph
    from tests.fakes.graph_fixtures import outlook_backend_for

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        ca = trustme.CA()
        bundle = f"{tmp}/ca.pem"
        ca.cert_pem.write_to_path(bundle)
        os.environ["REQUESTS_CA_BUNDLE"] = bundle
        fake = stack.enter_context(
            FakeGraph(
                ca.issue_cert("127.0.0.1"),
                client_id="app-1",
                client_secret="client-secret-1",
                page_size=100,
            )
        )
        calendar = outlook_backend_for(fake, "bench@contoso.example")
        (created,) = calendar.apply_writes([RemoteWrite("create", UID, event=_series())])
        series_id = created.remote.remote_id
        cursor = calendar.list_changes(None, *WINDOW).cursor
        counter = _Counter(fake)

        _apply(calendar, [replace(_override(1), series_id=series_id)])
        moved_http, moved_calls = len(counter.http()), len(counter.calls())
        counter.mark()
        _apply(calendar, [replace(_override(2, status="CANCELLED"), series_id=series_id)])
        cancel_http, cancel_calls = len(counter.http()), len(counter.calls())
        counter.mark()
        _apply(calendar, [replace(_override(3 + n), series_id=series_id) for n in range(MOVED)])
        bulk_http, bulk_calls = len(counter.http()), len(counter.calls())

        counter.mark()
        cursor = calendar.list_changes(cursor, *WINDOW).cursor
        echo_calls = len(counter.calls())
        counter.mark()
        calendar.list_changes(cursor, *WINDOW)
        rerun = counter.calls()
    return [
        at_most("outlook series: HTTP requests to move one occurrence", moved_http, 2),
        at_most("outlook series: API calls to move one occurrence", moved_calls, 2),
        at_most("outlook series: HTTP requests to cancel one occurrence", cancel_http, 2),
        at_most("outlook series: API calls to cancel one occurrence", cancel_calls, 2),
        at_most(
            f"outlook series: API calls per occurrence ({MOVED} moved in one run)",
            bulk_calls / MOVED,
            2,
        ),
        at_most(
            f"outlook series: HTTP requests per occurrence ({MOVED} moved in one run)",
            bulk_http / MOVED,
            0.1,
        ),
        Figure(
            "outlook series: API calls of the listing after the writes", echo_calls, "info", True
        ),
        at_most(
            "outlook series: writes on an unchanged rerun",
            sum(1 for m, _ in rerun if m != "GET"),
            0,
        ),
        at_most("outlook series: list calls on an unchanged rerun", len(rerun), 1),
    ]
