"""The wild corpus: ponton reads published feeds as the reference library does.

Every file in ``tests/fixtures/ics/wild`` (see its README for the generator each imitates) is
expanded by ponton (``parse_calendar`` + ``expand``) and by ``recurring_ical_events`` over the
same window; occurrences are compared per SUMMARY.
"""

from __future__ import annotations

import warnings
from collections import Counter
from datetime import date
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events

from ponton.ics import expand, parse_calendar

pytestmark = pytest.mark.unit

WILD = Path(__file__).parents[2] / "fixtures" / "ics" / "wild"
FILES = sorted(WILD.glob("*.ics"))
WINDOW = (date(2026, 1, 1), date(2028, 1, 1))

#: (file, SUMMARY) -> why ponton's count differs from the reference's.
DOCUMENTED = {
    ("library_corpus_shapes.ics", "Unreadable rule"): (
        "recurring-ical-events skips a series whose RRULE cannot be read (skip_bad_series); "
        "ponton ignores the rule and keeps the event as a single occurrence"
    ),
}


def _reference(data: bytes) -> Counter[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # icalendar warns when it guesses a vendor TZID
        calendar = icalendar.Calendar.from_ical(data)
    occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(*WINDOW)
    return Counter(str(c.get("SUMMARY", "")) for c in occurrences)


def _ponton(data: bytes) -> Counter[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = parse_calendar(data, today=date(2026, 6, 1))
    return Counter(o.event.summary for o in expand(parsed, *WINDOW))


def test_the_corpus_covers_every_generator_in_its_readme():
    readme = (WILD / "README.md").read_text()
    assert len(FILES) >= 8
    assert all(f"`{path.name}`" in readme for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_event_the_reference_reads_is_skipped_without_a_documented_reason(path):
    reference, ours = _reference(path.read_bytes()), _ponton(path.read_bytes())
    undocumented = {
        summary: (reference[summary], ours[summary])
        for summary in reference | ours
        if reference[summary] != ours[summary] and (path.name, summary) not in DOCUMENTED
    }
    assert not undocumented, f"occurrences (reference, ponton) differ: {undocumented}"


def test_occurrence_counts_match_the_reference_within_one_percent():
    mismatches = total = 0
    for path in FILES:
        reference, ours = _reference(path.read_bytes()), _ponton(path.read_bytes())
        total += sum(reference.values())
        mismatches += sum(abs(reference[s] - ours[s]) for s in reference | ours)
    assert total > 150
    assert mismatches / total <= 0.01


def test_a_holiday_feed_without_uids_imports_every_holiday():
    parsed = parse_calendar((WILD / "holidays_no_uid.ics").read_bytes(), today=date(2026, 6, 1))
    assert len(parsed.events) == 34
    assert len(parsed.derived_uids) == 34
    assert len({e.uid for e in parsed.events}) == 34
    assert len(expand(parsed, *WINDOW)) == 34
