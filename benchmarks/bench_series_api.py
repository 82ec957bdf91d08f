"""API calls a synced Google series costs, counted at the Google fake (every call, batched or
not, as Google counts quota; token endpoint calls left out).

A weekly platform series (52 occurrences) is pushed to Google, then, one sync each:

* one occurrence moved on the platform: goal <= 2 calls (the incremental listing and one
  update of the instance id, no listing of instances first), of which <= 1 write;
* one occurrence cancelled on the platform: goal <= 2 calls, <= 1 write (delete of the instance);
* one occurrence cancelled in Google: goal <= 2 calls (the listing, and the master of the stub,
  which an incremental listing does not carry), no write;
* an unchanged rerun: goal 0 writes and 1 call.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta

from benchmarks import Figure, at_most

NOW = datetime(2026, 3, 16, 8, tzinfo=UTC)
FIRST = datetime(2026, 3, 23, 9, tzinfo=UTC)
UID = "weekly@bench"
CALENDAR = "bench@example.com"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _platform(path: str):
    import sqlalchemy as sa

    from ponton.platform import PlatformDB
    from ponton.platform.schema import planning_events, resources
    from ponton.sync.bindings import add_binding

    db = PlatformDB(f"sqlite:///{path}/platform.db")
    db.upgrade()
    binding = add_binding(db, provider="google", source=CALENDAR, resource="ana", direction="both")
    with db.begin() as conn:
        rid = conn.execute(sa.select(resources.c.id)).scalar_one()
        conn.execute(
            planning_events.insert().values(
                uid=UID,
                resource_id=rid,
                summary="Weekly review",
                start_at=FIRST,
                end_at=FIRST + timedelta(hours=1),
                timezone="UTC",
                recurrence="RRULE:FREQ=WEEKLY;COUNT=52",
            )
        )
    return db, binding, rid


def _override(db, rid: int, week: int, **values) -> None:
    from ponton.model import moment_key
    from ponton.platform.schema import planning_events

    original = FIRST + timedelta(weeks=week)
    row = {"start_at": original, "end_at": original + timedelta(hours=1)} | values
    with db.begin() as conn:
        conn.execute(
            planning_events.insert().values(
                uid=UID,
                recurrence_id=moment_key(original),
                resource_id=rid,
                summary="Weekly review",
                timezone="UTC",
                **row,
            )
        )


def run() -> list[Figure]:
    from ponton.calendars.backends.google_mapping import event_id_for
    from ponton.context import RunContext
    from ponton.journal import Journal
    from ponton.sync.engine import run_sync
    from tests.fakes.google_calendar import FakeGoogleCalendar
    from tests.fakes.google_fixtures import google_backend_for

    with FakeGoogleCalendar() as fake, tempfile.TemporaryDirectory() as tmp:
        db, binding, rid = _platform(tmp)
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
        moved_to = FIRST + timedelta(weeks=3, hours=2)
        _override(db, rid, 3, start_at=moved_to, end_at=moved_to + timedelta(hours=1))
        moved = calls_of_one_sync()
        _override(db, rid, 5, status="cancelled")
        cancelled = calls_of_one_sync()
        calls_of_one_sync()  # reads its own writes back
        week = (FIRST + timedelta(weeks=8)).isoformat()
        fake.cancel_instance(CALENDAR, event_id_for(UID), {"dateTime": week, "timeZone": "UTC"})
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
