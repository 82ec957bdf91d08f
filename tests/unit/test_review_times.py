"""Times on the Conflicts page: one readable form in the resource's zone."""

from zoneinfo import ZoneInfo

import pytest

from ponton.review.queue import readable

pytestmark = pytest.mark.unit
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        (
            "2026-12-10T17:00:00+00:00",
            "2026-12-10T18:30:00+00:00",
            "Thu 10 Dec 2026 18:00 → 19:30 (Europe/Paris)",
        ),
        # Whole days kept as instants (an all-day busy block): the days, the last one included.
        (
            "2026-12-09T23:00:00+00:00",
            "2026-12-10T23:00:00+00:00",
            "Thu 10 Dec 2026, all day (Europe/Paris)",
        ),
        (
            "20261220T230000Z",
            "20261222T230000Z",
            "Mon 21 Dec 2026 → Tue 22 Dec 2026, all day (Europe/Paris)",
        ),
        # Midnight in another zone is not a whole day here.
        (
            "2026-12-10T00:00:00+00:00",
            "2026-12-11T00:00:00+00:00",
            "Thu 10 Dec 2026 01:00 → Fri 11 Dec 2026 01:00 (Europe/Paris)",
        ),
    ],
)
def test_spans_read_in_the_resources_zone(start, end, shown):
    assert readable(start, PARIS, until=end) == shown
