"""Hostile calendars, each the smallest form of a cost found in the wild or by an attack: rules
that never yield, RDATE floods, millions of lines, event counts at the limit. Shared by the
regression tests (they must end with a clear error or a bounded result) and by
``benchmarks/bench_hostile.py`` (they must end within the time and memory goals)."""

from __future__ import annotations

from collections.abc import Callable

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n"
TAIL = "END:VCALENDAR\r\n"


def _event(uid: str, *lines: str, start: str = "20200101T090000Z") -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n"
        f"DURATION:PT1H\r\nSUMMARY:{uid}\r\n{body}END:VEVENT\r\n"
    )


def calendar(*events: str) -> bytes:
    return (HEAD + "".join(events) + TAIL).encode()


def rule_that_never_yields(rule: str, copies: int = 1) -> bytes:
    return calendar(*(_event(f"never-{i}", f"RRULE:{rule}") for i in range(copies)))


def rdate_flood(events: int = 40, per_event: int = 4_999) -> bytes:
    dates = ",".join(
        f"2026{1 + d // 28 % 12:02d}{1 + d % 28:02d}T{d % 24:02d}0000Z" for d in range(per_event)
    )
    return calendar(*(_event(f"rdates-{i}", f"RDATE:{dates}") for i in range(events)))


def x_lines(count: int = 2_500_000) -> bytes:
    return (HEAD + "X-A:1\r\n" * count + _event("one") + TAIL).encode()


def many_events(count: int) -> bytes:
    return calendar(
        *(_event(f"e-{i}", start=f"2026{1 + i % 12:02d}01T090000Z") for i in range(count))
    )


def daily_series(count: int) -> bytes:
    """Genuine daily series from 2020: the rule steps add up across the calendar."""
    return calendar(*(_event(f"daily-{i}", "RRULE:FREQ=DAILY") for i in range(count)))


CORPUS: dict[str, Callable[[], bytes]] = {
    "secondly_bysetpos_2": lambda: rule_that_never_yields("FREQ=SECONDLY;BYSETPOS=2"),
    "minutely_bysetpos_3": lambda: rule_that_never_yields("FREQ=MINUTELY;BYSETPOS=3"),
    "daily_byyearday_366_january": lambda: rule_that_never_yields(
        "FREQ=DAILY;BYYEARDAY=366;BYMONTH=1"
    ),
    "yearly_byyearday_366_january": lambda: rule_that_never_yields(
        "FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1"
    ),
    "fifty_never_yielding_rules": lambda: rule_that_never_yields(
        "FREQ=SECONDLY;BYSETPOS=2", copies=50
    ),
    "rdate_40x4999": rdate_flood,
    "x_lines_2_5m": x_lines,
    "x_lines_at_the_limit": lambda: x_lines(149_000),
    "rdates_at_the_limit": lambda: rdate_flood(events=4, per_event=4_999),
    "events_49999": lambda: many_events(49_999),
    "events_at_the_limit": lambda: many_events(10_000),
    "daily_series_300": lambda: daily_series(300),
}
