"""Outlook's concurrency limit per mailbox, for the Graph fake.

"A maximum of 4 concurrent requests" per app per mailbox
(https://learn.microsoft.com/en-us/graph/throttling-limits#outlook-service-limits); a request past
it is answered 429 ``ApplicationThrottled`` "Application is over its MailboxConcurrency limit."
(the error Graph returns, quoted in
https://learn.microsoft.com/en-us/answers/questions/734143/mailboxconcurrency-limit-throttling-exception).
Graph runs up to 4 parts of one ``$batch`` at once
(https://learn.microsoft.com/en-us/answers/questions/1660054/send-4-reqeusts-at-the-same-time-but-still-get-app),
so a batch occupies as many slots as it has parts on the mailbox, up to 4; the docs are silent on
which parts of a batch that does not fit still run: the harsher reading, none of that mailbox's
parts do. A 429 carries a suggested wait in ``Retry-After``
(https://learn.microsoft.com/en-us/graph/throttling); its value for this limit is not documented:
1 second here.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

LIMIT = 4
REFUSAL = (
    429,
    {"Retry-After": "1"},
    {
        "error": {
            "code": "ApplicationThrottled",
            "message": "Application is over its MailboxConcurrency limit.",
        }
    },
)


class MailboxConcurrency:
    """Requests in flight per mailbox; ``peak`` keeps the most ever attempted at once (refused
    ones included), so a test sees a client that overshoots even when the fake refused it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.refused = 0

    def enter(self, mailbox: str, slots: int) -> bool:
        """Count a request on ``mailbox`` taking ``slots``; False: over the limit, refuse it.
        Requests on no mailbox ("": subscriptions) are not counted."""
        if not mailbox:
            return True
        mailbox, slots = mailbox.lower(), min(slots, LIMIT)
        with self._lock:
            attempted = self.in_flight[mailbox] + slots
            self.peak[mailbox] = max(self.peak[mailbox], attempted)
            if attempted > LIMIT:
                self.refused += 1
                return False
            self.in_flight[mailbox] = attempted
            return True

    def leave(self, mailbox: str, slots: int) -> None:
        if not mailbox:
            return
        with self._lock:
            self.in_flight[mailbox.lower()] -= min(slots, LIMIT)

    def hold_batch(self, mailboxes: list[str], seconds: float) -> set[str]:
        """A ``$batch`` whose parts target ``mailboxes`` ("" for none) in flight for ``seconds``;
        returns the mailboxes without enough free slots (their parts are refused)."""
        parts = Counter(box.lower() for box in mailboxes if box)
        admitted = {box for box, n in parts.items() if self.enter(box, n)}
        try:
            time.sleep(seconds)
        finally:
            for box in admitted:
                self.leave(box, parts[box])
        return set(parts) - admitted
