"""Which foreign events of a binding become busy time, and what of them is kept.

The filters are typed binding options (``ponton bindings add --options``), validated when the
binding is added and shown by ``ponton bindings list``. Whatever they say, an event the calendar's
owner declined, a free (transparent) event and a cancelled one never block: they are not busy
time. A private or confidential event blocks as an anonymous busy block; ``busy_only`` makes every
event of the binding one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from functools import partial
from typing import TYPE_CHECKING, Any

from ponton.errors import InvalidInputError
from ponton.model import Event
from ponton.privacy import anonymised

if TYPE_CHECKING:
    from ponton.sync.bindings import Binding


@dataclass(frozen=True, slots=True)
class EventFilters:
    """The filter options of one binding (every field is an ``--options`` key)."""

    #: skip events the owner answered "tentative" or marked tentative
    skip_tentative: bool = False
    #: skip all-day events (holidays, "working from home" markers)
    skip_all_day: bool = False
    #: only events whose title matches this regular expression (case-insensitive) block
    include_title: str | None = None
    #: events whose title matches this regular expression (case-insensitive) never block
    exclude_title: str | None = None
    #: only events carrying one of these categories block
    include_categories: tuple[str, ...] = ()
    #: events carrying one of these categories never block
    exclude_categories: tuple[str, ...] = ()
    #: import every event as an anonymous busy block: no title, description, place or attendees
    busy_only: bool = False
    #: the owner's addresses, to read their own answer in ICS/CalDAV attendee lists
    own_addresses: tuple[str, ...] = ()

    def skip_reason(self, event: Event, addresses: Iterable[str] = ()) -> str | None:
        """Why ``event`` does not block the resource, or None when it does."""
        response = own_response(event, {*self.own_addresses, *addresses})
        if event.status == "CANCELLED":
            return "cancelled"
        if response == "DECLINED":
            return "declined"
        if event.transparency == "TRANSPARENT":
            return "free"
        if self.skip_tentative and "TENTATIVE" in (event.status, response):
            return "tentative"
        if self.skip_all_day and event.all_day:
            return "all-day"
        if self.include_title and not re.search(self.include_title, event.summary, re.I):
            return "title not included"
        if self.exclude_title and re.search(self.exclude_title, event.summary, re.I):
            return "title excluded"
        categories = {c.casefold() for c in event.categories}
        if self.include_categories and not categories & _folded(self.include_categories):
            return "category not included"
        if categories & _folded(self.exclude_categories):
            return "category excluded"
        return None

    def busy_source(self, event: Event, addresses: Iterable[str] = ()) -> Event | None:
        """What a busy block may keep of ``event``; None when it must not block."""
        if self.skip_reason(event, addresses) is not None:
            return None
        if self.busy_only or event.private:
            return anonymised(event, label="")
        return event

    def describe(self) -> str:
        """One line for ``ponton bindings list``: exactly what the filters do."""
        parts = ["skips declined, free and cancelled"]
        if self.skip_tentative:
            parts.append("skips tentative")
        if self.skip_all_day:
            parts.append("skips all-day")
        if self.include_title:
            parts.append(f"only titles matching /{self.include_title}/")
        if self.exclude_title:
            parts.append(f"not titles matching /{self.exclude_title}/")
        if self.include_categories:
            parts.append(f"only categories {', '.join(self.include_categories)}")
        if self.exclude_categories:
            parts.append(f"not categories {', '.join(self.exclude_categories)}")
        parts.append("busy only" if self.busy_only else "private events as busy only")
        return "; ".join(parts)


_OPTION_TYPES: dict[str, Any] = {"bool": bool, "str | None": str, "tuple[str, ...]": list[str]}
#: The option keys the filters own and the JSON type each takes, for any ``--options`` schema.
FILTER_OPTIONS: dict[str, Any] = {f.name: _OPTION_TYPES[f.type] for f in fields(EventFilters)}


def filters_from(options: Mapping[str, Any] | None) -> EventFilters:
    """The binding's filters from its options; other keys are left to their owners.

    Raises :class:`InvalidInputError` naming the option, its value and the fix.
    """
    options = options or {}
    values: dict[str, Any] = {}
    for name in FILTER_OPTIONS:
        if name not in options:
            continue
        value = options[name]
        kind = FILTER_OPTIONS[name]
        if kind is bool:
            if not isinstance(value, bool):
                raise InvalidInputError(f"option {name!r} is {value!r}: use true or false")
        elif kind is str:
            if value is not None and not isinstance(value, str):
                raise InvalidInputError(f"option {name!r} is {value!r}: use a regular expression")
            _compile(name, value)
        else:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise InvalidInputError(f"option {name!r} is {value!r}: use a list of strings")
            value = tuple(value)
        values[name] = value
    return EventFilters(**values)


#: Google's ``sendUpdates`` values; ponton's default is "none" (no guest is ever mailed).
SEND_UPDATES = ("none", "all", "externalOnly")


def send_updates_from(options: Mapping[str, Any] | None) -> str:
    """The binding's ``send_updates`` option: who Google may mail about ponton's writes."""
    value = (options or {}).get("send_updates", "none")
    if value not in SEND_UPDATES:
        raise InvalidInputError(
            f"option 'send_updates' is {value!r}: use one of {', '.join(SEND_UPDATES)} "
            "(none, the default, mails no guest)"
        )
    return value


def validate_options(options: Mapping[str, Any] | None) -> None:
    """Refuse, before a binding is stored, the options this module owns that are wrong."""
    filters_from(options)
    send_updates_from(options)


def blocking(binding: Binding) -> Callable[[Event], Event | None]:
    """The one step every busy block passes through, applied to each occurrence after the series
    are expanded (so a cancelled or free override still frees its slot): what the block may keep
    of that occurrence's event, or None when it must not block."""
    filters = filters_from(binding.options)
    addresses = (binding.resource_email,) if binding.resource_email else ()
    return partial(filters.busy_source, addresses=addresses)


def own_response(event: Event, addresses: Iterable[str]) -> str | None:
    """The owner's answer: what the calendar says of them, else their PARTSTAT as an attendee."""
    if event.response:
        return event.response
    mine = {a.casefold() for a in addresses if a}
    for attendee in event.attendees:
        if attendee.email.casefold() in mine:
            return attendee.partstat
    return None


def _folded(values: Iterable[str]) -> set[str]:
    return {v.casefold() for v in values}


def _compile(name: str, pattern: str | None) -> None:
    if pattern is None:
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        raise InvalidInputError(
            f"option {name!r}: {pattern!r} is not a regular expression ({exc}); fix the pattern"
        ) from None
