from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ponton.demo.feeds import EDITED_UID, demo_feed
from ponton.demo.seed import monday_of
from ponton.ics import parse_calendar

pytestmark = pytest.mark.unit
PARIS = ZoneInfo("Europe/Paris")


def test_ana_feed_edits_the_seeded_workshop_and_overlaps_another():
    anchor = date(2026, 11, 25)
    monday = monday_of(anchor)
    events = {e.uid: e for e in parse_calendar(demo_feed(anchor, "ana.martin")).events}
    edited = events[EDITED_UID]
    assert edited.start == datetime.combine(
        monday + timedelta(days=1), datetime.min.time(), PARIS
    ).replace(hour=14, minute=30)
    assert "décalé" in edited.summary
    notaire = events["ana-notaire@agenda.example.com"]
    workshop_day = monday + timedelta(days=2)  # M-2026-021 week 0: Wednesday 14:00-17:00
    assert notaire.start.date() == workshop_day and 14 <= notaire.start.hour < 17


def test_feeds_are_deterministic_for_an_anchor():
    assert demo_feed(date(2026, 11, 25), "bruno.leroy") == demo_feed(
        date(2026, 11, 25), "bruno.leroy"
    )
    with pytest.raises(ValueError, match="no demo feed"):
        demo_feed(date(2026, 11, 25), "nobody")


def test_write_demo_feeds_keeps_unchanged_files(tmp_path):
    from ponton.demo.feeds import write_demo_feeds

    paths = write_demo_feeds(tmp_path, date(2026, 11, 25))
    stamp = paths["ana.martin"].stat().st_mtime_ns
    assert set(paths) == {"ana.martin", "bruno.leroy"}
    assert write_demo_feeds(tmp_path, date(2026, 11, 25))["ana.martin"].stat().st_mtime_ns == stamp
