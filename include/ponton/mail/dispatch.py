"""Dispatch: send pending notifications through the configured provider, at most once each.

The guarantee rests on one order of events per message: the row is committed as ``sending`` (with
this attempt's id) *before* the provider is called, and the receipt is committed after. A run that
finds ``sending`` rows therefore knows an earlier attempt died somewhere in between, and asks the
provider, by our reference, whether the message went out:

* found: the receipt is stored, nothing is sent;
* not found (and the attempt is old enough for the provider's search to have indexed it): the row
  goes back to ``pending`` and is sent;
* the provider cannot tell (plain SMTP, SendGrid without Email Activity access), or the row was
  sent through another provider than the one configured now: the row goes to ``review``, for a
  person to settle with ``ponton notifications resolve``. It is never resent on a guess.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ponton.errors import (
    ConfigError,
    InvalidInputError,
    MessageDeferred,
    OutcomeUnknown,
    PermanentError,
    TransientError,
)
from ponton.journal import Journal
from ponton.mail import ledger, recipients, suppression
from ponton.mail.compose import compose
from ponton.mail.message import OutgoingMail, message_reference
from ponton.mail.port import KeptSession, MailProvider, Receipt, StatusLookup
from ponton.platform import PlatformDB
from ponton.platform.schema import utcnow

INTEGRATION = "mail"
# How long a provider's search may lag behind its acceptance: a "not found" for a younger attempt
# proves nothing yet, so such rows wait for a later run.
DEFAULT_SETTLE = timedelta(minutes=10)
# A message a relay defers (4xx to a recipient: greylisting, a full mailbox) waits and is offered
# again after 10 minutes, then twice as long each time up to 4 hours (RFC 5321 section 4.5.4.1
# leaves the schedule to the client). Once it is older than ``give_up``, its attempt goes to the
# recipients that accept it, and those still deferred fail.
FIRST_RETRY = timedelta(minutes=10)
MAX_RETRY = timedelta(hours=4)
DEFAULT_GIVE_UP = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Claimed:
    nid: int
    message: OutgoingMail
    attempts: int  # this one included


@dataclass
class DispatchSummary:
    provider: str
    sent: int = 0
    failed: int = 0
    suppressed: int = 0  # recipients on the suppression list: not sent
    deferred: int = 0  # a relay deferred a recipient: nothing sent, offered again later
    recovered: int = 0  # an earlier attempt had sent it; its receipt is now stored
    released: int = 0  # an earlier attempt had not sent it; back to pending
    review: int = 0
    waiting: int = 0  # earlier attempts too recent to ask about

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Dispatcher:
    def __init__(
        self,
        db: PlatformDB,
        provider: MailProvider,
        journal: Journal,
        *,
        settle: timedelta = DEFAULT_SETTLE,
        give_up: timedelta = DEFAULT_GIVE_UP,
    ) -> None:
        self.db = db
        self.provider = provider
        self.journal = journal
        self.settle = settle
        self.give_up = give_up
        self.attempt_id = uuid.uuid4().hex
        self.lookup = provider if isinstance(provider, StatusLookup) else None

    def _journal(self, action: str, nid: int, outcome: str, conn=None, **details: Any) -> None:
        self.journal.record(
            INTEGRATION,
            action,
            outcome=outcome,
            object_type="notification",
            object_id=nid,
            details={"provider": self.provider.name, **details},
            conn=conn,
        )

    # -- earlier attempts -----------------------------------------------------------------------

    def recover_in_flight(self, summary: DispatchSummary) -> None:
        with self.db.begin() as conn:
            rows = ledger.in_flight(conn)
        for row in rows:
            self._recover(row, summary)

    def _recover(self, row: dict[str, Any], summary: DispatchSummary) -> None:
        nid = row["id"]
        reference = message_reference(nid, row["created_at"])
        reason, receipt = None, None
        if row["provider"] and row["provider"] != self.provider.name:
            reason = f"sent through {row['provider']}, now configured: {self.provider.name}"
        elif self.lookup is None:
            reason = f"{self.provider.name} cannot say whether attempt {row['attempt_id']} went out"
        else:
            try:
                receipt = self.lookup.find(reference)
            except ConfigError as exc:  # e.g. SendGrid without the Email Activity add-on
                reason = f"{self.provider.name} lookup unavailable: {exc}"
        if reason:
            with self.db.begin() as conn:
                ledger.mark_review(
                    conn,
                    nid,
                    f"{reason}; check the recipient's mailbox or the "
                    "relay log, then `ponton notifications resolve`",
                )
                self._journal("review", nid, "conflict", conn, reason=reason)
            summary.review += 1
            return
        if receipt is not None:
            with self.db.begin() as conn:
                ledger.record_receipt(conn, nid, self.provider.name, receipt)
                self._journal(
                    "recover",
                    nid,
                    "changed",
                    conn,
                    provider_message_id=receipt.provider_message_id,
                    found="sent earlier",
                )
            summary.recovered += 1
        elif utcnow() - row["updated_at"] < self.settle:
            summary.waiting += 1
        else:
            with self.db.begin() as conn:
                ledger.release(conn, nid, f"attempt {row['attempt_id']} did not reach the provider")
                self._journal("recover", nid, "ok", conn, found="never sent", next="resend")
            summary.released += 1

    # -- this attempt ---------------------------------------------------------------------------

    def _claim(self, conn: sa.Connection, summary: DispatchSummary) -> Claimed | None:
        """Mark the next pending row ``sending`` in ``conn``'s transaction and build its message
        (rows that cannot go out are settled on the way)."""
        while True:
            row = ledger.claim_next_pending(conn, self.attempt_id, self.provider.name)
            if row is None:
                return None
            nid, replace_rows = row["id"], row["attempts"] > 1
            try:
                message = compose(row, self.provider.sender, conn)
            except InvalidInputError as exc:
                ledger.mark_unsendable(conn, nid, "failed", str(exc))
                self._journal("send", nid, "refused", conn, reason=str(exc)[:500])
                summary.failed += 1
                continue
            suppressed = suppression.reasons_for(conn, [a.email for a in message.recipients])
            if suppressed and all(a.email.lower() in suppressed for a in message.to):
                # Copies do not go out without their addressee: nothing is sent.
                unsent = "not sent: every To recipient is on the suppression list"
                suppressed = {a.email.lower(): unsent for a in message.recipients} | suppressed
                recipients.claim(conn, nid, message, suppressed, replace=replace_rows)
                reason = "; ".join(f"{a}: {r}" for a, r in sorted(suppressed.items()))
                ledger.mark_unsendable(conn, nid, "suppressed", reason)
                self._journal("send", nid, "skipped", conn, reason=reason[:500])
                summary.suppressed += len(message.recipients)
                continue
            recipients.claim(conn, nid, message, suppressed, replace=replace_rows)
            if suppressed:
                kept = tuple(a for a in message.recipients if a.email.lower() not in suppressed)
                message = replace(
                    message,
                    to=tuple(a for a in message.to if a in kept),
                    cc=tuple(a for a in message.cc if a in kept),
                    bcc=tuple(a for a in message.bcc if a in kept),
                )
                summary.suppressed += len(suppressed)
            if utcnow() - row["created_at"] >= self.give_up:
                message = replace(message, deferrable=False)
            return Claimed(nid, message, row["attempts"])

    def _send_one(self, claimed: Claimed, summary: DispatchSummary) -> Receipt | None:
        """Hand the message over; the receipt, or None when the provider refused it for good or
        deferred it."""
        nid = claimed.nid
        try:
            return self.provider.send(claimed.message)
        except MessageDeferred as exc:
            # attempts also counts earlier tries of any kind: the exponent stops at the cap
            wait = min(FIRST_RETRY * 2 ** min(claimed.attempts - 1, 16), MAX_RETRY)
            until = utcnow() + wait
            with self.db.begin() as conn:
                # the time first: `ponton notifications status` shows a reason's first 60 characters
                reason = f"next attempt at {until:%Y-%m-%d %H:%M}Z: {exc}"
                ledger.release(conn, nid, reason, until=until)
                self._journal(
                    "send", nid, "error", conn, reason=str(exc)[:500], next=until.isoformat()
                )
            summary.deferred += 1
            return None
        except OutcomeUnknown as exc:
            # Stays "sending": the next attempt asks the provider before anything is resent.
            self._journal("send", nid, "error", reason=str(exc)[:500], next="ask provider")
            raise
        except TransientError as exc:
            with self.db.begin() as conn:
                ledger.release(conn, nid, str(exc))
                self._journal("send", nid, "error", conn, reason=str(exc)[:500], next="retry")
            raise
        except InvalidInputError as exc:  # this message can never go out as it is
            with self.db.begin() as conn:
                ledger.mark_failed(conn, nid, str(exc))
                self._journal("send", nid, "refused", conn, reason=str(exc)[:500])
            summary.failed += 1
            return None
        except PermanentError as exc:
            # Configuration or credentials: not this notification's fault. It waits, pending,
            # while the task fails without retry for someone to fix the connection.
            with self.db.begin() as conn:
                ledger.release(conn, nid, str(exc))
                self._journal("send", nid, "error", conn, reason=str(exc)[:500], next="fix config")
            raise

    def _record(
        self,
        conn: sa.Connection,
        claimed: Claimed,
        receipt: Receipt,
        summary: DispatchSummary,
    ) -> None:
        nid, message = claimed.nid, claimed.message
        ledger.record_receipt(
            conn, nid, self.provider.name, receipt, sent_to=len(message.recipients)
        )
        self._journal(
            "send",
            nid,
            "ok",
            conn,
            provider_message_id=receipt.provider_message_id,
            status=receipt.status,
            **({"refused": sorted(receipt.refused)} if receipt.refused else {}),
        )
        summary.sent += 1

    def run(self, limit: int = 100) -> DispatchSummary:
        """Settle earlier attempts, then send up to ``limit`` pending notifications. A message the
        provider refuses fails that notification only; a transient error, or a configuration or
        credentials problem, stops the run and propagates (the operator retries the first and
        fails the task for the second).

        One commit per message: the receipt of a message is committed together with the claim
        of the next. The claim still reaches the database before its message leaves, and a
        receipt lost with its transaction leaves its row ``sending``, for recovery to settle."""
        summary = DispatchSummary(self.provider.name)
        self.recover_in_flight(summary)
        try:
            with self.db.begin() as conn:
                claimed = self._claim(conn, summary) if limit > 0 else None
            taken = 1
            while claimed is not None:
                receipt = self._send_one(claimed, summary)
                with self.db.begin() as conn:
                    if receipt is not None:
                        self._record(conn, claimed, receipt, summary)
                    claimed = self._claim(conn, summary) if taken < limit else None
                taken += 1
        finally:
            if isinstance(self.provider, KeptSession):
                self.provider.close()
        return summary


def dispatch_pending(
    db: PlatformDB, provider: MailProvider, journal: Journal, *, limit: int = 100, **options: Any
) -> DispatchSummary:
    return Dispatcher(db, provider, journal, **options).run(limit)
