"""dateutil's ``rrule``, charged for the periods it scans, not only for the instants it yields.

dateutil walks a rule period by period and checks ``UNTIL``/``COUNT`` only on an instant it is
about to yield. A rule whose periods never hold an instant (``FREQ=SECONDLY;BYSETPOS=2``: one
candidate per second, position 2 never exists; ``BYYEARDAY=366;BYMONTH=1``) is scanned up to the
year 9999 without yielding once, so counting yields cannot stop it. :class:`MeteredRule` reads
three attributes through properties: ``_tzinfo`` (read once per period of an HOURLY, MINUTELY or
SECONDLY rule), ``_wkst`` (once per WEEKLY period) and ``_bynweekday`` (once per month or year
rebuilt, which bounds DAILY, MONTHLY and YEARLY scans). Each read calls ``meter(steps)`` with the
work it stands for, and the meter may raise to stop the scan. The names are those of
python-dateutil 2.9 (pinned); ``tests/security`` keeps hostile rules that break if they change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dateutil.rrule import YEARLY, rrule

Meter = Callable[[int], None]

DAYS_PER_REBUILD = {YEARLY: 366}  # a yearly rebuild stands for a year of day filtering
DEFAULT_DAYS_PER_REBUILD = 31  # any other rebuild, for a month


class MeteredRule(rrule):
    def __init__(self, meter: Meter, **arguments: Any) -> None:
        self.__dict__["_meter"] = meter
        super().__init__(**arguments)

    @classmethod
    def like(cls, rule: rrule, meter: Meter) -> MeteredRule:
        """A metered copy of ``rule`` (the arguments dateutil's own ``rrule.replace`` uses)."""
        arguments = {
            "interval": rule._interval,
            "count": rule._count,
            "dtstart": rule._dtstart,
            "freq": rule._freq,
            "until": rule._until,
            "wkst": rule._wkst,
            **rule._original_rule,
        }
        return cls(meter, **arguments)


def _metered(name: str, steps: Callable[[MeteredRule], int]) -> property:
    slot = f"_metered{name}"

    def read(self: MeteredRule) -> Any:
        self.__dict__["_meter"](steps(self))
        return self.__dict__[slot]

    def write(self: MeteredRule, value: Any) -> None:
        self.__dict__[slot] = value

    return property(read, write)


MeteredRule._tzinfo = _metered("_tzinfo", lambda _rule: 1)
MeteredRule._wkst = _metered("_wkst", lambda _rule: 1)
MeteredRule._bynweekday = _metered(
    "_bynweekday",
    lambda rule: DAYS_PER_REBUILD.get(rule.__dict__.get("_freq"), DEFAULT_DAYS_PER_REBUILD),
)
