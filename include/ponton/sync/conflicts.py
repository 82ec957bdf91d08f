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


@dataclass(frozen=True, slots=True, order=True)
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
    active_imported: list[tuple[datetime, int, Interval]] = []
    active_platform: list[tuple[datetime, int, Interval]] = []
    for seq, current in enumerate(sorted(intervals)):
        for heap in (active_imported, active_platform):
            while heap and heap[0][0] <= current.start:
                heappop(heap)
        if current.end <= current.start:
            continue
        if current.origin == IMPORTED:
            for _, _, other in active_platform:
                yield DoubleBooking(resource, current, other)
            heappush(active_imported, (current.end, seq, current))
        else:
            for _, _, imported in active_imported:
                yield DoubleBooking(resource, imported, current)
            heappush(active_platform, (current.end, seq, current))


def naive_double_bookings(resource: str, intervals: list[Interval]) -> list[DoubleBooking]:
    """The pairwise check the sweep replaces; kept for tests and the benchmark."""
    found = []
    for a in intervals:
        if a.origin != IMPORTED or a.end <= a.start:
            continue
        for b in intervals:
            if b.origin != IMPORTED and b.end > b.start and a.start < b.end and b.start < a.end:
                found.append(DoubleBooking(resource, a, b))
    return found
