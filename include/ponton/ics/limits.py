"""The bounds every ICS import runs inside, so a hostile or broken feed can never hang a task.

Defaults fit real feeds (a busy person's Google export is a few MB and a few thousand events);
raise them per binding through its ``options`` when a legitimate feed is bigger.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    #: Largest accepted calendar, in bytes (a download stops at this size too).
    max_bytes: int = 20 * 1024 * 1024
    #: Most VEVENT components in one calendar.
    max_components: int = 50_000
    #: Most occurrences one recurring event may produce inside the expansion window.
    max_occurrences: int = 5_000
    #: Most recurrence steps computed for one event from its DTSTART to the window end: bounds the
    #: cost of a FREQ=SECONDLY rule that starts years before the window.
    max_rule_steps: int = 100_000
    #: Most recurrence steps for the whole calendar, so many costly rules cannot add up to minutes.
    max_total_rule_steps: int = 500_000
    #: Longest expansion window, in days.
    max_window_days: int = 3 * 366
    #: Longest kept DESCRIPTION (characters); longer text is cut and reported.
    max_text_chars: int = 64 * 1024
    #: Deepest component nesting (VCALENDAR > VEVENT > VALARM is 3).
    max_depth: int = 8
    #: Expansion window used by the parser's recurrence guard: days before and after today.
    window_days_back: int = 31
    window_days_ahead: int = 366
