"""API calls a synced Google series costs, counted at the Google fake (every call, batched or
not, as Google counts quota; token endpoint calls left out).

The scenario tests' weekly platform series (10 occurrences) is pushed to Google, then, one sync
each:

* one occurrence moved on the platform: goal <= 2 calls (the incremental listing and one
  update of the instance id, no listing of instances first), of which <= 1 write;
* one occurrence cancelled on the platform: goal <= 2 calls, <= 1 write (delete of the instance);
* one occurrence cancelled in Google: goal <= 2 calls (the listing, and the master of the stub,
  which an incremental listing does not carry), no write;
* an unchanged rerun: goal 0 writes and 1 call.
"""

from __future__ import annotations

import tempfile

from benchmarks import Figure, at_most

CALENDAR = "bench@example.com"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def run() -> list[Figure]:
    from ponton.calendars.backends.google_mapping import event_id_for
    from ponton.context import RunContext
    from ponton.journal import Journal
    from ponton.platform import PlatformDB
    from ponton.sync.bindings import add_binding
    from ponton.sync.engine import run_sync
    from tests.fakes.google_calendar import FakeGoogleCalendar
    from tests.fakes.google_fixtures import google_backend_for
    from tests.integration.test_series_scenarios import NOW, UID, add_override, add_series, week

    with FakeGoogleCalendar() as fake, tempfile.TemporaryDirectory() as tmp:
        db = PlatformDB(f"sqlite:///{tmp}/platform.db")
        db.upgrade()
        add_series(db)
        binding = add_binding(
            db, provider="google", source=CALENDAR, resource="ana", direction="both"
        )
        calendar = google_backend_for(fake, CALENDAR)
        journal = Journal(db, RunContext())

        def calls_of_one_sync() -> tuple[int, int]:
            before = len(fake.api_calls)
            run_sync(db, binding, lambda b: calendar, journal=journal, now=NOW)
            calls = fake.api_calls[before:]
            return len(calls), sum(1 for method, _ in calls if method in WRITES)

        calls_of_one_sync()  # pushes the series
        calls_of_one_sync()  # settles the cursor
        unchanged = calls_of_one_sync()
        add_override(db, 3, hours=2)
        moved = calls_of_one_sync()
        add_override(db, 5, status="cancelled")
        cancelled = calls_of_one_sync()
        calls_of_one_sync()  # reads its own writes back
        original = {"dateTime": week(8).isoformat(), "timeZone": "Europe/Paris"}
        fake.cancel_instance(CALENDAR, event_id_for(UID), original)
        remote = calls_of_one_sync()
        db.dispose()
    return [
        at_most("google series: calls to sync one occurrence moved on the platform", moved[0], 2),
        at_most("google series: writes for one occurrence moved on the platform", moved[1], 1),
        at_most(
            "google series: calls to sync one occurrence cancelled on the platform",
            cancelled[0],
            2,
        ),
        at_most("google series: calls to sync one occurrence cancelled in Google", remote[0], 2),
        at_most("google series: writes for one occurrence cancelled in Google", remote[1], 0),
        at_most("google series: writes on an unchanged rerun", unchanged[1], 0),
        at_most("google series: calls on an unchanged rerun", unchanged[0], 1),
    ]
