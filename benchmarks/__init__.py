"""Benchmarks: ratios measured side by side in one run, never timed assertions in tests.

Each ``bench_*.py`` module exposes ``run() -> list[Figure]``. ``python -m benchmarks [NAME...]``
runs them, prints a table and writes ``.bench/results.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure; ``ok`` is whether it meets its goal."""

    name: str
    value: float
    goal: str
    ok: bool
    unit: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def at_most(name: str, value: float, limit: float, unit: str = "") -> Figure:
    return Figure(name, round(value, 4), f"<= {limit}{unit}", value <= limit, unit)


def at_least(name: str, value: float, limit: float, unit: str = "") -> Figure:
    return Figure(name, round(value, 4), f">= {limit}{unit}", value >= limit, unit)
