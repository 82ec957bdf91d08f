"""Dispatching notifications over SMTP: ponton's dispatch (claim, compose, commit ``sending``,
send, commit the receipt and a journal row) against a bare ``smtplib`` loop handing the same
messages to the same aiosmtpd server, one session each.

10,000 notifications (``PONTON_BENCH_MAIL_COUNT`` for a quicker look), an embedded SQLite
platform DB, a plain aiosmtpd relay on loopback. Dispatch keeps one SMTP session for the batch
and commits once per message (the receipt of a message with the claim of the next): the claim
must be durable before its message leaves, so that commit (an fsync of the WAL, a few
milliseconds on a shared disk) is the floor of what separates it from the bare loop. The ratio
says what at-most-once bookkeeping costs over the wire time; the rate is ponton's messages per
second.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
import time
from pathlib import Path

from benchmarks import Figure, at_least, at_most
from ponton.journal import Journal
from ponton.mail.backends.smtp import SmtpBackend, SmtpOptions
from ponton.mail.compose import compose
from ponton.mail.dispatch import dispatch_pending
from ponton.platform import PlatformDB
from ponton.platform.schema import notifications
from tests.fakes.smtp_server import SENDER, SmtpPeer, fast_retry

COUNT = int(os.environ.get("PONTON_BENCH_MAIL_COUNT", "10000"))


def _seed(db: PlatformDB) -> list[dict]:
    rows = [
        {
            "to_recipients": [{"email": f"person{i}@example.com", "name": f"Personne {i}"}],
            "subject": f"Votre planning — semaine {i % 52 + 1} « chantier »",
            "body_text": "Bonjour,\nvotre planning de la semaine est prêt.\n",
        }
        for i in range(COUNT)
    ]
    with db.begin() as conn:
        ids = conn.execute(notifications.insert().returning(notifications.c.id), rows).scalars()
        return [row | {"id": nid, "created_at": None} for row, nid in zip(rows, ids, strict=True)]


def bare_loop(peer: SmtpPeer, payloads: list[tuple[str, bytes]]) -> None:
    for recipient, payload in payloads:
        client = smtplib.SMTP("127.0.0.1", peer.port, timeout=10)
        client.sendmail(SENDER.email, [recipient], payload)
        client.quit()


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        peer = SmtpPeer(Path(tmp), mode="plain", auth=False)
        db = PlatformDB(f"sqlite:///{tmp}/platform.db")
        try:
            db.upgrade()
            rows = _seed(db)
            payloads = [
                (row["to_recipients"][0]["email"], compose(row, SENDER, None).to_mime().as_bytes())
                for row in rows
            ]
            started = time.perf_counter()
            bare_loop(peer, payloads)
            bare = time.perf_counter() - started
            backend = SmtpBackend(
                options=SmtpOptions(
                    sender=SENDER,
                    retry=fast_retry(),
                    host="127.0.0.1",
                    port=peer.port,
                    implicit_tls=False,
                    starttls=False,
                    timeout=10,
                )
            )
            started = time.perf_counter()
            summary = dispatch_pending(db, backend, Journal(db), limit=COUNT)
            ours = time.perf_counter() - started
        finally:
            db.dispose()
            peer.stop()
    if summary.sent != COUNT or len(peer.handler.messages) != 2 * COUNT:
        raise AssertionError(f"dispatch sent {summary.sent} of {COUNT}")
    return [
        at_least(
            f"dispatch {COUNT} notifications over SMTP (aiosmtpd), messages/s", COUNT / ours, 0
        ),
        at_most(f"dispatch {COUNT} over SMTP vs a bare smtplib loop (x)", ours / bare, 1.5, "x"),
    ]
