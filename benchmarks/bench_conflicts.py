"""Double-booking sweep: scaling from 10k to 100k intervals, and against the pairwise check."""

from __future__ import annotations

import gc
import random
import time
from datetime import UTC, datetime, timedelta

from benchmarks import Figure, at_least, at_most
from ponton.sync.conflicts import Interval, find_double_bookings, naive_double_bookings

START = datetime(2026, 1, 5, 8, tzinfo=UTC)


def intervals(n: int, seed: int = 7) -> list[Interval]:
    """A realistic week-by-week calendar: 1-3 h slots, a quarter of them imported."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        start = START + timedelta(minutes=30 * rng.randrange(n * 2))
        end = start + timedelta(minutes=60 * rng.randint(1, 3))
        origin = "imported" if rng.random() < 0.25 else "planning"
        out.append(Interval(start, end, origin, f"e{i}"))
    return out


def best_of(*fns, repeats: int = 3) -> list[float]:
    """Best wall time of each of ``fns``, with the cyclic GC paused as ``timeit`` does (its pauses
    grow with the heap, which would measure the interpreter rather than the algorithm). The runs
    are interleaved, so a ratio between two of them compares the same spells of machine load."""
    runs: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, times in zip(fns, runs, strict=True):
            gc.collect()
            gc.disable()
            try:
                started = time.perf_counter()
                fn()
                times.append(time.perf_counter() - started)
            finally:
                gc.enable()
    return [min(times) for times in runs]


def run() -> list[Figure]:
    small, large = intervals(10_000), intervals(100_000)
    t_small, t_large = best_of(
        lambda: list(find_double_bookings("r", small)),
        lambda: list(find_double_bookings("r", large)),
        repeats=5,
    )
    five = intervals(5_000)
    (sweep,) = best_of(lambda: list(find_double_bookings("r", five)))
    (naive,) = best_of(lambda: naive_double_bookings("r", five), repeats=1)
    return [
        at_most("double booking: time x100k / x10k events", t_large / t_small, 13, "x"),
        at_least("double booking: naive / sweep at 5k", naive / sweep, 50, "x"),
    ]
