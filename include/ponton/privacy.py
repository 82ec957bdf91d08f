"""What may leave a calendar of a private or confidential event: that it is busy, and when.

One place decides it, so busy blocks, published feeds, roadmaps, mails and the journal all hide
the same things: title, description, location, attendees, organizer, categories and URL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ponton.model import PRIVACIES, Event

BUSY = "Busy"
_HIDDEN_TEXT = ("summary", "description", "location")


def privacy_of(value: Any) -> str:
    """A CLASS / visibility / sensitivity value as PUBLIC, PRIVATE or CONFIDENTIAL.

    Anything unknown is PRIVATE (RFC 5545 §3.8.1.3: an unrecognised class is treated as private).
    """
    text = str(value or "PUBLIC").strip().upper()
    return text if text in PRIVACIES else "PRIVATE"


def is_private(privacy: str | None) -> bool:
    return privacy_of(privacy) != "PUBLIC"


def anonymised(event: Event, *, label: str = BUSY) -> Event:
    """``event`` reduced to "busy" and its times (recurrence kept, so occurrences still block)."""
    return replace(
        event,
        summary=label,
        description="",
        location="",
        organizer=None,
        attendees=(),
        categories=(),
        url=None,
        privacy="PRIVATE" if event.privacy == "PUBLIC" else event.privacy,
    )


def shown(event: Event, *, label: str = BUSY) -> Event:
    """The event as it may be shown outside its own calendar."""
    return anonymised(event, label=label) if event.private else event


def journal_content(event: Event) -> dict[str, Any]:
    """``Event.content()`` for the journal: a private event's text never reaches it."""
    content = event.content()
    if event.private:
        content |= dict.fromkeys(_HIDDEN_TEXT, "") | {"attendees": []}
    return content


def shown_text(privacy: str | None, text: str | None, *, label: str = "") -> str:
    """One text field of a platform row as a roadmap or a mail may print it."""
    return label if is_private(privacy) else (text or "")
