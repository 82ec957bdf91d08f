"""Scheduling conflicts: double booking of a resource, found with a sweep line.

Busy intervals imported from external calendars are checked against the platform's planning and
availability. Sorting dominates: O(n log n + k) for n intervals and k overlapping pairs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from heapq import heappop, heappush

IMPORTED = "imported"


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime
    origin: str  # "imported", "planning" or "availability"
    ref: str  # what it stands for: a planning uid, a remote id, an availability id


@dataclass(frozen=True, slots=True)
class DoubleBooking:
    resource: str
    imported: Interval
    other: Interval

    @property
    def fingerprint(self) -> str:
        key = "|".join(
            (
                "double_booking",
                self.resource,
                self.imported.ref,
                self.imported.start.isoformat(),
                self.other.origin,
                self.other.ref,
                self.other.start.isoformat(),
            )
        )
        return hashlib.sha256(key.encode()).hexdigest()


def find_double_bookings(resource: str, intervals: Iterable[Interval]) -> Iterator[DoubleBooking]:
    """Every overlap between an imported interval and a platform one (touching ends are fine)."""
    # Plain float keys: comparing aware datetimes (or dataclasses) dominates the sort otherwise.
    points = sorted(
        (i.start.timestamp(), i.end.timestamp(), n, i)
        for n, i in enumerate(intervals)
        if i.end > i.start
    )
    active_imported: list[tuple[float, int, Interval]] = []
    active_platform: list[tuple[float, int, Interval]] = []
    for start, end, n, current in points:
        while active_imported and active_imported[0][0] <= start:
            heappop(active_imported)
        while active_platform and active_platform[0][0] <= start:
            heappop(active_platform)
        if current.origin == IMPORTED:
            for _, _, other in active_platform:
                yield DoubleBooking(resource, current, other)
            heappush(active_imported, (end, n, current))
        else:
            for _, _, imported in active_imported:
                yield DoubleBooking(resource, imported, current)
            heappush(active_platform, (end, n, current))


def naive_double_bookings(resource: str, intervals: list[Interval]) -> list[DoubleBooking]:
    """The pairwise check the sweep replaces: every pair compared; for tests and the benchmark."""
    found = []
    for i, a in enumerate(intervals):
        for b in intervals[i + 1 :]:
            if (a.origin == IMPORTED) == (b.origin == IMPORTED):
                continue
            if a.start < b.end and b.start < a.end and a.end > a.start and b.end > b.start:
                imported, other = (a, b) if a.origin == IMPORTED else (b, a)
                found.append(DoubleBooking(resource, imported, other))
    return found
