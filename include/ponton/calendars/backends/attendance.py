"""Whether an invitation makes its calendar's owner busy, from the owner's own answer.

Declined: never busy (Google keeps declined invitations in the calendar, Outlook may). Tentative:
busy unless the binding says otherwise (option ``tentative``: ``"busy"``, the default, or
``"free"``). Applied by the Google and Outlook mappings to the events they read, so a declined
meeting never becomes a busy block or a double booking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ponton.errors import ConfigError

TENTATIVE_CHOICES = ("busy", "free")


def tentative_is_busy(options: Mapping[str, Any] | None) -> bool:
    choice = str((options or {}).get("tentative", "busy")).lower()
    if choice not in TENTATIVE_CHOICES:
        raise ConfigError(
            f"binding option tentative={choice!r} is not one of {', '.join(TENTATIVE_CHOICES)}"
        )
    return choice == "busy"


def transparency_for(transparency: str, owner_response: str | None, *, tentative_busy: bool) -> str:
    """``owner_response`` in iCalendar PARTSTAT terms (DECLINED, TENTATIVE, ...) or None when the
    owner organises the event or is not invited."""
    if owner_response == "DECLINED" or (owner_response == "TENTATIVE" and not tentative_busy):
        return "TRANSPARENT"
    return transparency
