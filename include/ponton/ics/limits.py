"""The bounds every ICS import runs inside, so a hostile or broken feed can never hang a task.

Defaults fit real feeds (a busy person's Google export is a few MB and a few thousand events);
raise them per binding through its ``options`` when a legitimate feed is bigger.

:class:`Limits` are the numbers; :class:`Budget` is one calendar parse spending them: a deadline
plus counters of the work done (content lines, RDATE values, recurrence steps, occurrences),
checked where the work happens, so any input stops in bounded time and memory with a
:class:`TooExpensive` error naming the component that ran out.

The deadline counts the CPU seconds of the parsing thread, not the wall clock: on a busy worker a
genuine feed must not fail because other tasks took the CPU (parsing does no I/O, so CPU time is
its whole cost). The wall clock is bounded elsewhere: the download timeout and each task's
``execution_timeout``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from ponton.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest accepted calendar, in bytes (a download stops at this size too).
    max_bytes: int = 20 * 1024 * 1024
    #: Most VEVENT components in one calendar (parsing 10 000 costs about 2 s of CPU).
    max_components: int = 10_000
    #: Most content lines (properties, counted before parsing) in one calendar.
    max_properties: int = 150_000
    #: Most RDATE values in the whole calendar (each one is an occurrence to materialise).
    max_rdates: int = 20_000
    #: Most occurrences one recurring event may produce inside the expansion window.
    max_occurrences: int = 5_000
    #: Most occurrences of the whole calendar inside the expansion window.
    max_total_occurrences: int = 100_000
    #: Most recurrence steps computed for one event from its DTSTART to the window end: bounds the
    #: cost of a FREQ=SECONDLY rule that starts years before the window. Periods a rule scans
    #: without yielding anything (``BYSETPOS=2`` on a one-instant period) count as steps too.
    max_rule_steps: int = 100_000
    #: Most recurrence steps for the whole calendar, so many costly rules cannot add up to minutes.
    max_total_rule_steps: int = 500_000
    #: CPU seconds one parse (and, separately, one expansion) may take, whatever the counters say.
    max_seconds: float = 10.0
    #: Longest expansion window, in days.
    max_window_days: int = 3 * 366
    #: Longest kept DESCRIPTION (characters); longer text is cut and reported.
    max_text_chars: int = 64 * 1024
    #: Deepest component nesting (VCALENDAR > VEVENT > VALARM is 3).
    max_depth: int = 8
    #: Expansion window used by the parser's recurrence guard: days before and after today.
    window_days_back: int = 31
    window_days_ahead: int = 366


# An RDATE content line with its folded continuation lines (RFC 5545 section 3.1).
_RDATE = re.compile(rb"^RDATE[;:](?:[^\r\n]|\r?\n[ \t])*", re.IGNORECASE | re.MULTILINE)


class TooExpensive(InvalidInputError):
    """The calendar needs more work than its budget allows; the message names the component, the
    limit and the binding option that raises it."""


class Budget:
    """One calendar parse's spending. Counters are cumulative over parse and expansion."""

    CHECK_EVERY = 1_024  # clock reads are cheap, but not free inside a per-period hook

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.thread_time) -> None:
        self.limits = limits
        self._clock = clock
        self.deadline = clock() + limits.max_seconds
        self.spent: dict[str, int] = {}
        self._ticks = 0

    def spend(self, counter: str, amount: int, *, where: str) -> None:
        """Add ``amount`` to ``counter`` (a :class:`Limits` field name such as
        ``max_total_occurrences``); :class:`TooExpensive` once it is over its limit."""
        total = self.spent.get(counter, 0) + amount
        self.spent[counter] = total
        limit = getattr(self.limits, counter)
        if total > limit:
            raise TooExpensive(
                f"the calendar is too expensive to read: {where} goes over {counter}={limit}; "
                f"raise the binding's {counter} option if the feed is genuine"
            )
        self.tick(where)

    def spend_on_raw(self, data: bytes) -> None:
        """Charge what the raw bytes already commit to, before any parser allocates for it:
        content lines (``max_properties``) and RDATE values (``max_rdates``)."""
        folded = data.count(b"\n ") + data.count(b"\n\t")
        self.spend("max_properties", data.count(b"\n") + 1 - folded, where="the calendar's lines")
        for match in _RDATE.finditer(data):
            values = match[0].count(b",") + 1
            self.spend("max_rdates", values, where=f"the RDATE at byte {match.start()}")

    def tick(self, where: str) -> None:
        """One unit of work; every ``CHECK_EVERY`` ticks the deadline is checked."""
        self._ticks += 1
        if self._ticks % self.CHECK_EVERY == 0:
            self.check_time(where)

    def check_time(self, where: str) -> None:
        if self._clock() > self.deadline:
            raise TooExpensive(
                f"the calendar is too expensive to read: still working on {where} after "
                f"{self.limits.max_seconds:g}s; raise the binding's max_seconds option if the "
                "feed is genuine"
            )
