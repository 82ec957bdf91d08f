"""One delivery-status vocabulary for every mail provider, and the rule that folds events into it.

Provider events are translated into :class:`StatusEvent` by each backend; the ledger keeps, per
notification, the status of the *latest event by event time* (never by arrival order), so a
``delivered`` that arrives before its ``sent`` still ends as ``delivered``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ponton.errors import InvalidInputError

# What a provider can tell us about a message, from "accepted" to final outcomes: django-anymail's
# normalised event vocabulary (docs/integrations/mail.md maps each provider's events onto it).
STATUSES = (
    "queued",  # the provider accepted it and has not handed it on yet
    "sent",  # it left for the recipient's side (an SMTP relay accepted it; we see no further)
    "delivered",  # the recipient's server accepted it
    "deferred",  # a temporary refusal; the provider keeps trying
    "bounced",  # the recipient's server refused it for good
    "rejected",  # the provider refused to send it (suppression list, policy, blocked)
    "complained",  # the recipient marked it as spam
    "unsubscribed",  # the recipient asked to receive no more (list-unsubscribe, provider link)
    "autoresponded",  # an automatic reply came back (out of office, challenge): it was delivered
    "failed",  # the provider gave up for another reason
    "unknown",  # the provider reported something this vocabulary has no word for
)
# Engagement is kept as events but never changes a notification's status.
ENGAGEMENT = ("opened", "clicked")
EVENT_KINDS = STATUSES + ENGAGEMENT

# Statuses of the notifications row that only the ledger sets (no provider reports them);
# "suppressed": the recipient is on ponton's suppression list, nothing was sent.
LEDGER_STATUSES = ("pending", "sending", "review", "suppressed")
ROW_STATUSES = LEDGER_STATUSES + STATUSES

# Tie-break for two events stamped with the same instant (providers often report whole seconds):
# the one further along the life of a message wins, the more specific outcome among final ones.
# A strict order, so the result never depends on which of the two arrived first.
_PROGRESS = {
    "unknown": 0,
    "queued": 1,
    "sent": 2,
    "deferred": 3,
    "delivered": 4,
    "autoresponded": 5,
    "failed": 6,
    "rejected": 7,
    "bounced": 8,
    "unsubscribed": 9,
    "complained": 10,
}
# Outcomes that put the recipient's address on the suppression list: re-sending to it hurts the
# sender's reputation (a hard bounce, a spam complaint, an unsubscribe).
SUPPRESSING = ("bounced", "complained", "unsubscribed")


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One thing a provider reported about one message.

    ``notification_id`` comes from our own tag on the message (custom args, metadata, Message-ID);
    ``provider_message_id`` is the provider's id, used when the tag is missing.
    ``provider_event_id`` is unique per provider, so replays and re-pulls fold once.
    ``vouched``: the provider stands behind the recipient it names (a signed webhook, its API).
    Reports read from a mailbox anyone can write to are not: one suppresses an address only when
    it names a message of ours that went to that address.
    """

    provider: str
    provider_event_id: str
    kind: str
    occurred_at: datetime
    notification_id: int | None = None
    provider_message_id: str | None = None
    event: str = ""  # the provider's own name for it ("processed", "Delivery", "spamreport")
    details: dict[str, Any] = field(default_factory=dict)
    recipient: str | None = None  # the address it concerns; None: every recipient of the message
    vouched: bool = True

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"status event kind {self.kind!r} is not one of {EVENT_KINDS}")
        if self.occurred_at.tzinfo is None:
            raise ValueError(f"status event {self.provider_event_id!r} has a naive timestamp")

    @property
    def changes_status(self) -> bool:
        """Engagement and unrecognised events are recorded but never move the status."""
        return self.kind in STATUSES and self.kind != "unknown"


def supersedes(
    kind: str, at: datetime, current_kind: str | None, current_at: datetime | None
) -> bool:
    """Whether an event (``kind`` at ``at``) replaces the status the row shows now.

    A status without a provider time (``current_at`` empty: pending, sending, review, or the
    provider's answer at send time) always gives way to a reported event.
    """
    if current_at is None or current_kind not in _PROGRESS:
        return True
    if at != current_at:
        return at > current_at
    return _PROGRESS[kind] > _PROGRESS[current_kind]


def parse_time(value: Any) -> datetime:
    """A provider's ISO 8601 time (any fraction of a second, ``Z`` or offset; UTC when bare)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInputError(f"time {value!r} is not ISO 8601") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_int(value: Any) -> int | None:
    """Our notification id as providers echo it back (strings in custom args and metadata)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
