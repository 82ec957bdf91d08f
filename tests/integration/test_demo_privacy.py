"""The demo's story: Ana's feed holds a private appointment and an invitation she declined; after
the import and the publish, the summary says the first is anonymous busy time found nowhere in
ponton's output, and the second left no busy time and no double booking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ponton.context import RunContext
from ponton.demo.feeds import write_demo_feeds
from ponton.demo.privacy import privacy_report
from ponton.demo.seed import monday_of, seed
from ponton.ics.publish import publish_feeds
from ponton.journal import Journal
from ponton.storage.backends.local import LocalFolderStorage, LocalOptions
from ponton.sync.adapters import calendar_opener
from ponton.sync.bindings import add_binding
from ponton.sync.engine import run_sync

pytestmark = pytest.mark.integration


def test_demo_summary_says_what_became_of_the_private_and_the_declined_event(platform_db, tmp_path):
    now = datetime.now(UTC)
    seed(platform_db, now.date())
    feeds = write_demo_feeds(tmp_path / "feeds", monday_of(now.date()))
    binding = add_binding(
        platform_db, provider="ics", source=str(feeds["ana.martin"]), resource="ana.martin"
    )
    journal = Journal(platform_db, RunContext("demo", "r", "t"))
    result = run_sync(platform_db, binding, calendar_opener(None), journal=journal, now=now)
    publish_feeds(
        platform_db,
        [LocalFolderStorage(options=LocalOptions(root=tmp_path / "storage"))],
        journal,
        now,
    )
    (mails := tmp_path / "mail").mkdir()

    private, declined = privacy_report(platform_db, published=tmp_path / "storage", mails=mails)

    assert result["double_bookings"] == 1  # the notary appointment only
    assert "1 anonymous busy block(s) Thu 10:00-11:00;" in private
    assert "its text found in none of" in private and "titled" not in private
    assert declined.endswith("0 busy block(s), 0 double booking(s)")
