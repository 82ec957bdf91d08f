"""ICS publishing of the seeded planning through the local storage backend."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from ponton.context import RunContext
from ponton.demo.seed import seed
from ponton.ics import parse_calendar
from ponton.journal import Journal
from ponton.platform.schema import planning_events
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 18, tzinfo=UTC)


def test_feeds_per_resource_and_mission_are_uploaded_once_then_only_when_changed(
    platform_db, tmp_path
):
    from ponton.ics.publish import publish_feeds

    seed(platform_db, date(2026, 3, 16))
    storage = LocalFolderStorage(options=LocalOptions(root=tmp_path))
    journal = Journal(platform_db, RunContext())
    first = publish_feeds(platform_db, [storage], journal, NOW)
    keys = {r.key for r in first}
    assert "feeds/resources/ana.martin.ics" in keys and "feeds/missions/M-2026-021.ics" in keys
    assert all(r.outcome == "uploaded" for r in first)

    again = publish_feeds(platform_db, [storage], journal, NOW)
    assert {r.outcome for r in again} == {"unchanged"}
    assert sum(r.bytes_uploaded for r in again) == 0

    with platform_db.begin() as conn:
        conn.execute(
            planning_events.update()
            .where(planning_events.c.uid == "M-2026-021-site@demo.ponton")
            .values(summary="Visite reportée", updated_at=datetime.now(UTC))
        )
    changed = {
        r.key
        for r in publish_feeds(platform_db, [storage], journal, NOW)
        if r.outcome == "uploaded"
    }
    assert changed == {"feeds/resources/chloe.dubois.ics", "feeds/missions/M-2026-021.ics"}

    feed = (tmp_path / "feeds/missions/M-2026-021.ics").read_bytes()
    parsed = parse_calendar(feed)
    assert parsed.errors == [] and parsed.method == "PUBLISH"
    site = next(e for e in parsed.events if e.uid == "M-2026-021-site@demo.ponton")
    # The platform did not bump SEQUENCE: ponton does, as it publishes a changed version.
    assert site.summary == "Visite reportée" and site.sequence == 1 and site.all_day
    with platform_db.engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count())
            .where(planning_events.c.mission_id.is_not(None))
            .where(planning_events.c.mission_id == 2)
        ).scalar_one()
    assert len(parsed.events) == count


def test_publish_operator_refuses_an_empty_storage_list(platform_env):
    from airflow.sdk.exceptions import AirflowFailException

    from ponton.operators.calendar import PublishCalendarFeedsOperator

    operator = PublishCalendarFeedsOperator(task_id="publish_feeds", storage_conn_ids=" , ")
    with pytest.raises(AirflowFailException, match="no storage connection"):
        operator.execute({})
