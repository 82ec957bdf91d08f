"""Mail backends wired to their peers, for the dispatch, reconcile and webhook tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ponton.mail.backends.local import LocalCapture, LocalCaptureOptions
from ponton.mail.message import Address

SENDER = Address("planning@ponton.example", "Planning ponton")


@dataclass
class MailBackend:
    kind: str
    provider: Any
    peer: Any  # the fake, the SMTP server, or the capture folder
    connection: dict[str, Any] | None  # exported as AIRFLOW_CONN_PONTON_MAIL (None: local)

    def delivered_count(self) -> int:
        """How many messages the peer has taken: the measure of "sent twice"."""
        if isinstance(self.peer, Path):
            return len(list(self.peer.glob("*.eml")))
        if hasattr(self.peer, "handler"):
            return len(self.peer.handler.messages)
        return len(self.peer.messages)


@pytest.fixture
def mail_backend(tmp_path, monkeypatch):
    """``mail_backend(kind)`` for kind in local, smtp, sendgrid (with the Email Activity API),
    sendgrid-webhooks-only, postmark: the provider as the DAGs resolve it."""
    stops = []

    def make(kind: str) -> MailBackend:
        from ponton.hooks.mail import get_mail_provider
        from tests.fakes.postmark_api import FakePostmark
        from tests.fakes.sendgrid_api import FakeSendGrid
        from tests.fakes.smtp_server import SmtpPeer

        if kind == "local":
            folder = tmp_path / "mail"
            monkeypatch.delenv("AIRFLOW_CONN_PONTON_MAIL", raising=False)
            return MailBackend(
                kind,
                LocalCapture(options=LocalCaptureOptions(folder=folder, sender=SENDER)),
                folder,
                None,
            )
        if kind == "smtp":
            peer = SmtpPeer(tmp_path, mode="starttls", auth=True)
            connection = peer.connection()
        elif kind.startswith("sendgrid"):
            peer = FakeSendGrid()
            connection = peer.connection(activity_api=kind == "sendgrid")
        elif kind == "postmark":
            peer = FakePostmark()
            connection = peer.connection()
        else:
            raise ValueError(kind)
        if isinstance(peer, SmtpPeer):
            stops.append(peer.stop)
        else:
            peer.__enter__()  # the loopback fakes serve inside their context
            stops.append(lambda peer=peer: peer.__exit__(None, None, None))
        monkeypatch.setenv("AIRFLOW_CONN_PONTON_MAIL", json.dumps(connection))
        return MailBackend(kind, get_mail_provider(), peer, connection)

    yield make
    for stop in stops:
        stop()


@pytest.fixture(scope="module")
def machine_db(tmp_path_factory):
    """A SQLite platform DB for a state machine's many runs in one module (each example
    empties what it uses)."""
    from ponton.platform import PlatformDB

    db = PlatformDB(f"sqlite:///{tmp_path_factory.mktemp('machine') / 'p.db'}")
    db.upgrade()
    yield db
    db.dispose()
